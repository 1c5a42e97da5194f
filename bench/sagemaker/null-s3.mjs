// An S3 endpoint that takes uploads and keeps nothing (it counts the bytes): what the upload
// bench points the CLI at to measure its own tar → gzip → multipart pipeline, not moto's speed.
// It answers only what `berth create` sends: HeadBucket, CreateBucket, PutObject, multipart
// upload (create, part, complete, abort), DeleteObject.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

export async function startNullS3() {
  let bytes = 0;
  let parts = 0;
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const [bucket, ...keyParts] = url.pathname.slice(1).split('/');
    const key = keyParts.join('/');
    request.on('data', (chunk) => {
      bytes += chunk.length;
    });
    request.on('end', () => {
      const xml = (body) => {
        response.writeHead(200, { 'content-type': 'application/xml' });
        response.end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
      };
      if (request.method === 'POST' && url.searchParams.has('uploads')) {
        return xml(
          `<InitiateMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${key}</Key><UploadId>${randomUUID()}</UploadId></InitiateMultipartUploadResult>`,
        );
      }
      if (request.method === 'POST' && url.searchParams.has('uploadId')) {
        return xml(
          `<CompleteMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${key}</Key><ETag>"done"</ETag></CompleteMultipartUploadResult>`,
        );
      }
      if (request.method === 'PUT' && url.searchParams.has('partNumber')) parts++;
      response.writeHead(request.method === 'DELETE' ? 204 : 200, { etag: `"${randomUUID()}"` });
      response.end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    received: () => ({ bytes, parts }),
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
