import { connect } from 'node:net';

/**
 * The live-status probe of a scoring server or router: one `GET /-/berth/status`, answered within
 * `timeoutMs` or not at all (a deadline for the whole exchange, so a server that trickles counts as
 * not answering). Resolves to the status body when the answer is a complete 200 with a JSON object,
 * else undefined; it never rejects.
 *
 * It speaks HTTP/1.0 over a plain socket instead of going through an HTTP client, because `berth
 * list` probes every deployment on each call and what the client costs to load is most of a Node
 * start: fetch (undici) ≈ 125 M instructions, node:http ≈ 40 M, this ≈ 15 M (callgrind, bench/local).
 * It asks only Berth's own control route, served by node:http, which answers an HTTP/1.0 request
 * without chunking and closes the connection after the answer: the answer is everything up to the
 * close, checked against its Content-Length. No retry (a probe that needs one has its answer: not
 * healthy now) and no redirects (the route sends none). Everything else goes through core's
 * `fetchWithRetry` (`loopback-http.ts`).
 */
export function probeStatus(
  baseUrl: string,
  controlToken: string,
  timeoutMs: number,
): Promise<Record<string, unknown> | undefined> {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return Promise.resolve(undefined);
  }
  if (url.protocol !== 'http:') return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 80) });
    const chunks: Buffer[] = [];
    const deadline = setTimeout(() => finish(undefined), timeoutMs);
    function finish(value: Record<string, unknown> | undefined): void {
      clearTimeout(deadline);
      socket.destroy();
      resolve(value);
    }
    socket.on('connect', () => {
      socket.write(
        `GET /-/berth/status HTTP/1.0\r\nHost: ${url.host}\r\nAuthorization: Bearer ${controlToken}\r\nAccept: application/json\r\n\r\n`,
      );
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => finish(undefined));
    socket.on('end', () => finish(parseAnswer(Buffer.concat(chunks))));
  });
}

function parseAnswer(answer: Buffer): Record<string, unknown> | undefined {
  const headEnd = answer.indexOf('\r\n\r\n');
  if (headEnd === -1) return undefined;
  const head = answer.toString('latin1', 0, headEnd);
  if (!/^HTTP\/1\.[01] 200 /.test(head)) return undefined;
  const body = answer.subarray(headEnd + 4);
  const length = /\r\ncontent-length: *(\d+)/i.exec(head);
  if (length && Number(length[1]) !== body.length) return undefined;
  try {
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
