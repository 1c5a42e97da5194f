import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeState, registerFakeTarget, unregisterFakeTarget } from './fake-target.js';
import { READ_TOKEN, sseFrames, startTestServer, type TestServer } from './helpers.js';

// The invocation fast path and its hand-over to node:http, seen from raw sockets: what a client
// sends on one keep-alive connection may mix fast requests with anything else.

let test: TestServer;
let state: FakeState;
let deployment: Server;
let deploymentUrl: string;
const seen: { url: string; headers: IncomingMessage['headers']; body: string }[] = [];

beforeAll(async () => {
  // The "deployment": echoes what it got, so the test sees exactly what the server forwarded.
  deployment = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      seen.push({ url: request.url ?? '', headers: request.headers, body });
      const answer = JSON.stringify({
        predictions: [body.length],
        contentType: request.headers['content-type'] ?? null,
      });
      response.writeHead(body.includes('fail') ? 400 : 200, { 'content-type': 'application/json' });
      response.end(answer);
    });
  });
  await new Promise<void>((resolve) => deployment.listen(0, '127.0.0.1', resolve));
  const address = deployment.address();
  deploymentUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  state = registerFakeTarget('fake-fast');
  state.deployments.set('near', { name: 'near', url: deploymentUrl, state: 'ready' });
  state.deployments.set('far', { name: 'far', url: 'https://models.example.com/far', state: 'ready' });
  test = await startTestServer({ target: 'fake-fast', bodyLimitBytes: 3 * 1024 * 1024 });
});

afterAll(async () => {
  await test?.close();
  await new Promise((resolve) => deployment?.close(resolve));
  unregisterFakeTarget('fake-fast');
});

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function dechunk(text: string): string {
  let result = '';
  let position = 0;
  for (;;) {
    const lineEnd = text.indexOf('\r\n', position);
    const size = Number.parseInt(text.slice(position, lineEnd), 16);
    if (!size) return result;
    result += text.slice(lineEnd + 2, lineEnd + 2 + size);
    position = lineEnd + 2 + size + 2;
  }
}

/** Writes `parts` (each after the previous answer arrived, unless `together`) and reads `count` answers. */
async function raw(parts: string[], options: { count?: number; together?: boolean } = {}): Promise<RawAnswer[]> {
  const count = options.count ?? parts.length;
  const port = new URL(test.url).port;
  const socket = connect(Number(port), '127.0.0.1');
  const answers: RawAnswer[] = [];
  let buffer = Buffer.alloc(0);
  let waiting: (() => void) | undefined;
  socket.on('data', (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) break;
      const head = buffer.toString('latin1', 0, end);
      const headers: Record<string, string> = {};
      for (const line of head.split('\r\n').slice(1)) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      const status = Number(head.slice(9, 12));
      if (status === 100) {
        buffer = buffer.subarray(end + 4);
        continue;
      }
      let bodyEnd: number;
      if (headers['content-length'] !== undefined) bodyEnd = end + 4 + Number(headers['content-length']);
      else if (headers['transfer-encoding'] === 'chunked') {
        const last = buffer.indexOf('\r\n0\r\n\r\n', end);
        if (last < 0) break;
        bodyEnd = last + 7;
      } else bodyEnd = buffer.length;
      if (buffer.length < bodyEnd) break;
      const text = buffer.toString('utf8', end + 4, bodyEnd);
      answers.push({ status, headers, body: headers['transfer-encoding'] === 'chunked' ? dechunk(text) : text });
      buffer = buffer.subarray(bodyEnd);
      waiting?.();
    }
  });
  const until = (n: number) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${answers.length} of ${n} answers`)), 15_000);
      const check = () => {
        if (answers.length >= n) {
          clearTimeout(timer);
          waiting = undefined;
          resolve();
        }
      };
      waiting = check;
      check();
    });
  try {
    if (options.together) {
      socket.write(parts.join(''));
    } else {
      for (const [index, part] of parts.entries()) {
        socket.write(part);
        await until(index + 1);
      }
    }
    await until(count);
    return answers;
  } finally {
    socket.destroy();
  }
}

function invocation(name: string, body: string, extra = `authorization: Bearer ${READ_TOKEN}\r\n`): string {
  return `POST /endpoints/${name}/invocations HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n${extra}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

describe('invocation fast path', () => {
  it("relays the deployment's answer and forwards neither the path nor the token", async () => {
    seen.length = 0;
    const [answer] = await raw([invocation('near', '{"inputs":[1]}')]);
    expect(answer).toMatchObject({ status: 200, headers: { 'content-type': 'application/json' } });
    expect(JSON.parse(answer?.body as string)).toEqual({ predictions: [14], contentType: 'application/json' });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.url).toBe('/invocations');
    expect(seen[0]?.headers.authorization).toBeUndefined();
    expect(seen[0]?.body).toBe('{"inputs":[1]}');
    // Sent by the fast path's own writer (node's http.request, the hand-over path, adds `connection`).
    expect(Object.keys(seen[0]?.headers ?? {}).sort()).toEqual(['content-length', 'content-type', 'host']);
  });

  it('serves invocations and other routes mixed on one keep-alive connection, in order', async () => {
    const answers = await raw([
      invocation('near', '{"a":1}'),
      'GET /health HTTP/1.1\r\nhost: x\r\n\r\n',
      invocation('near', '{"a":22}'),
      `GET /api/berth/v1/deployments/near HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${READ_TOKEN}\r\n\r\n`,
    ]);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
    expect(JSON.parse(answers[0]?.body as string).predictions).toEqual([7]);
    expect(JSON.parse(answers[1]?.body as string)).toEqual({ status: 'OK' });
    expect(JSON.parse(answers[2]?.body as string).predictions).toEqual([8]);
    expect(JSON.parse(answers[3]?.body as string)).toMatchObject({ name: 'near' });
  });

  it('answers pipelined requests in the order they were sent', async () => {
    const bodies = ['{"x":1}', '{"x":"22"}', '{"x":"333"}', '{"x":"4444"}'];
    const answers = await raw(
      bodies.map((body) => invocation('near', body)),
      { together: true },
    );
    expect(answers.map((answer) => JSON.parse(answer.body).predictions[0])).toEqual(bodies.map((body) => body.length));
  });

  it('refuses a missing or read-only-less token on the fast path and keeps the connection', async () => {
    const answers = await raw([
      invocation('near', '{}', ''),
      invocation('near', '{}', 'authorization: Bearer wrong-wrong-wrong-wrong\r\n'),
      invocation('near', '{}'),
    ]);
    expect(answers.map((answer) => answer.status)).toEqual([401, 401, 200]);
    expect(answers[0]?.headers['www-authenticate']).toBe('Bearer realm="berth"');
    expect(JSON.parse(answers[0]?.body as string)).toMatchObject({ error_code: 'UNAUTHENTICATED' });
  });

  it("passes a deployment's error answer through, and names an unknown endpoint", async () => {
    const answers = await raw([invocation('near', '{"fail":true}'), invocation('ghost', '{}')]);
    expect(answers[0]?.status).toBe(400);
    expect(answers[1]?.status).toBe(404);
    expect(JSON.parse(answers[1]?.body as string)).toMatchObject({ detail: expect.stringContaining("'ghost'") });
  });

  it('hands chunked uploads, Expect: 100-continue and HTTP/1.0 to node:http, which proxies them too', async () => {
    const chunked = `POST /endpoints/near/invocations HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nauthorization: Bearer ${READ_TOKEN}\r\ntransfer-encoding: chunked\r\n\r\n4\r\n{"a"\r\n3\r\n:1}\r\n0\r\n\r\n`;
    seen.length = 0;
    const [first] = await raw([chunked]);
    expect(first?.status).toBe(200);
    expect(seen[0]?.headers.connection).toBe('keep-alive');
    expect(JSON.parse(first?.body as string).predictions).toEqual([7]);

    const expect100 = `POST /endpoints/near/invocations HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nauthorization: Bearer ${READ_TOKEN}\r\nexpect: 100-continue\r\ncontent-length: 2\r\n\r\n{}`;
    expect((await raw([expect100]))[0]?.status).toBe(200);

    const old = `POST /endpoints/near/invocations HTTP/1.0\r\ncontent-type: application/json\r\nauthorization: Bearer ${READ_TOKEN}\r\ncontent-length: 2\r\n\r\n{}`;
    expect((await raw([old]))[0]?.status).toBe(200);
  });

  it('a target without a loopback address is served through predict on node:http', async () => {
    const [answer] = await raw([invocation('far', '{"inputs":[3]}'), invocation('near', '{}')], {
      together: true,
      count: 2,
    });
    expect(JSON.parse(answer?.body as string)).toMatchObject({ predictions: [1, 2, 3], deployment: 'far' });
  });

  it('"stream": true goes to node:http and answers SSE', async () => {
    const [answer] = await raw([invocation('near', '{"inputs":[1],"stream":true,"chunks":2}')]);
    expect(answer?.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(sseFrames(answer?.body as string).map((frame) => frame.data)).toEqual([
      '{"predictions":[1],"deployment":"near"}',
      '{"predictions":[2],"deployment":"near"}',
      '[DONE]',
    ]);
  });

  it('bodies above the fast limit stream through node:http; above the server limit they are 413', async () => {
    seen.length = 0;
    const big = JSON.stringify({ inputs: 'x'.repeat(2 * 1024 * 1024) });
    const [answer] = await raw([invocation('near', big)]);
    expect(answer?.status).toBe(200);
    expect(seen[0]?.body.length).toBe(big.length);
    const tooBig = JSON.stringify({ inputs: 'x'.repeat(3 * 1024 * 1024) });
    const [refused] = await raw([invocation('near', tooBig)]);
    expect(refused?.status).toBe(413);
  });

  it('a deployment that stopped answering is 503 TEMPORARILY_UNAVAILABLE', async () => {
    state.deployments.set('gone', { name: 'gone', url: 'http://127.0.0.1:1', state: 'ready' });
    const [answer] = await raw([invocation('gone', '{}')]);
    expect(answer?.status).toBe(503);
    expect(JSON.parse(answer?.body as string)).toMatchObject({ error_code: 'TEMPORARILY_UNAVAILABLE' });
  });
});
