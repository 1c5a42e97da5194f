import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { bearerCheck, checkToken, isOpenPath, readTokenFile } from '@berth/scoring-server/auth';
import { openStateStore, type StateStore } from '../state/state-store.js';
import { isStartMessage, type ReadyMessage, type StartMessage } from '../supervisor-protocol.js';
import { pickSmoothWeighted } from '../weighted-balancer.js';

/**
 * The router of one endpoint: a stable local address that spreads `/invocations` (and every other
 * scoring route) over the endpoint's deployments by weight. Members are health-checked actively
 * (`/ping` every 500 ms) and passively (a connection error marks a member down and the request is
 * retried once on another member). Traffic and member URLs are re-read from SQLite on every
 * check, and at once on `POST /-/berth/reload`, so weight changes and member restarts apply
 * without restarting the router. Started like a scoring server: its supervisor sends `start` over
 * IPC and it answers `ready` once it listens.
 */

interface Member {
  name: string;
  weight: number;
  current: number;
  url: string | undefined;
  healthy: boolean;
  served: number;
  failures: number;
  /** Consecutive failed probes. */
  misses: number;
  /** Forwarded requests still waiting for response headers. */
  waiting: Set<http.ClientRequest>;
  /** The member's own bearer token (its `auth_token_file`), sent in place of the client's. */
  authorization: string | undefined;
}

let name = '';
const token = process.env.BERTH_CONTROL_TOKEN;
const HEALTH_INTERVAL_MS = 500;
const HEALTH_TIMEOUT_MS = 400;
const BODY_LIMIT = 100 * 1024 * 1024;
/** Against slow and greedy clients, as the scoring server: headers within 10 s, the request within 60 s. */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 60_000;
const MAX_CONNECTIONS = 1024;
/** A check of the endpoint's own token (`auth_token_file`), when it has one. */
let authorized: ((header: string | undefined) => boolean) | undefined;

let members: Member[] = [];
let requestsServed = 0;
let store: StateStore;
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

/** Rebuilds the member table from state, keeping counters and health of members that stay. */
function reload(): void {
  const endpoint = store.endpoints.get(name);
  if (!endpoint) return;
  const previous = new Map(members.map((member) => [member.name, member]));
  // One assignment: a request sees either the old table or the new one, never a mix.
  members = Object.entries(endpoint.traffic).map(([deployment, weight]) => {
    const row = store.deployments.get(deployment);
    const old = previous.get(deployment);
    const url = row?.url ?? undefined;
    return {
      name: deployment,
      weight,
      current: old?.current ?? 0,
      url,
      // A new address was verified ready before it was recorded: route to it at once; the next
      // probe (or a failed connection) corrects that.
      healthy: url === undefined ? false : old !== undefined && old.url === url ? old.healthy : true,
      served: old?.served ?? 0,
      failures: old?.failures ?? 0,
      waiting: old?.waiting ?? new Set(),
      misses: old !== undefined && old.url === url ? old.misses : 0,
      authorization: memberAuthorization(deployment, row?.config.auth_token_file),
    };
  });
}

/** `Bearer <token>` from a member's token file (re-read on every reload: a rotated file applies). */
function memberAuthorization(member: string, file: unknown): string | undefined {
  if (typeof file !== 'string') return undefined;
  try {
    return `Bearer ${checkToken(readFileSync(file, 'utf8').replace(/\r?\n$/, ''), `"${file}"`)}`;
  } catch (error) {
    process.stderr.write(`router: cannot read the token of member '${member}': ${(error as Error).message}\n`);
    return undefined;
  }
}

type Probe = 'ok' | 'refused' | 'slow';

function probe(url: string): Promise<Probe> {
  return new Promise((resolve) => {
    const request = http.get(`${url}/ping`, { timeout: HEALTH_TIMEOUT_MS, agent }, (response) => {
      response.resume();
      resolve(response.statusCode === 200 ? 'ok' : 'slow');
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED' ? 'refused' : 'slow'));
  });
}

async function checkHealth(): Promise<void> {
  try {
    reload();
  } catch (error) {
    process.stderr.write(`router: could not read state: ${(error as Error).message}\n`);
  }
  const table = members;
  await Promise.all(
    table.map(async (member) => {
      const result = member.url === undefined ? 'refused' : await probe(member.url);
      // Refused is certain; a slow or failed answer counts only twice in a row (a busy machine
      // must not empty the endpoint).
      member.misses = result === 'ok' ? 0 : result === 'refused' ? 2 : member.misses + 1;
      member.healthy = member.misses < 2;
      // A member that stopped answering also holds requests: take them back and retry them
      // elsewhere (scoring is side-effect free) rather than wait on a hung process.
      if (!member.healthy) for (const request of member.waiting) request.destroy(new Error('member unhealthy'));
    }),
  );
}

function choose(excluded: Set<string>): Member | undefined {
  return pickSmoothWeighted(members.filter((member) => member.healthy && !excluded.has(member.name)));
}

function sendJson(response: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

function unavailable(response: http.ServerResponse, why: string): void {
  sendJson(response, 503, { error_code: 'TEMPORARILY_UNAVAILABLE', message: `Endpoint '${name}': ${why}` });
}

function readBody(request: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT) reject(new Error('request body too large'));
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** Forwards one buffered request. Rejects only when no response started (safe to retry elsewhere). */
function forward(
  member: Member,
  request: http.IncomingMessage,
  body: Buffer,
  response: http.ServerResponse,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const target = new URL(request.url ?? '/', member.url);
    const headers = { ...request.headers, host: target.host, 'content-length': String(body.length) };
    delete headers.connection;
    // The client authenticated to the endpoint; the router authenticates to the member.
    delete headers.authorization;
    if (member.authorization) headers.authorization = member.authorization;
    const upstream = http.request(target, { method: request.method, headers, agent }, (answer) => {
      member.waiting.delete(upstream);
      const out = { ...answer.headers, 'x-berth-deployment': member.name };
      delete out.connection;
      response.writeHead(answer.statusCode ?? 502, out);
      answer.pipe(response);
      answer.on('end', resolve);
      answer.on('error', resolve);
    });
    member.waiting.add(upstream);
    upstream.on('error', (error) => {
      member.waiting.delete(upstream);
      reject(error);
    });
    upstream.end(body);
  });
}

async function proxy(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
  const body = await readBody(request);
  const tried = new Set<string>();
  for (let attempt = 0; attempt < 2; attempt++) {
    const member = choose(tried);
    if (!member) break;
    tried.add(member.name);
    try {
      await forward(member, request, body, response);
      member.served++;
      requestsServed++;
      return;
    } catch {
      // Connection refused/reset before any answer: passive health check, then one retry elsewhere.
      member.healthy = false;
      member.misses = 2;
      member.failures++;
    }
  }
  unavailable(response, tried.size === 0 ? 'no healthy deployment to route to' : 'every member tried failed to answer');
}

const controlCheck = token === undefined ? undefined : bearerCheck(token);

function controlAuthorized(request: http.IncomingMessage): boolean {
  return controlCheck?.(request.headers.authorization) === true;
}

function status(): Record<string, unknown> {
  return {
    name,
    pid: process.pid,
    requestsServed,
    traffic: Object.fromEntries(members.map((member) => [member.name, member.weight])),
    members: members.map(({ current: _current, misses: _misses, waiting, ...member }) => ({
      ...member,
      waiting: waiting.size,
    })),
  };
}

async function handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  if (path?.startsWith('/-/berth/')) {
    if (!token) return sendJson(response, 404, { error_code: 'NOT_FOUND', message: 'Not found' });
    if (!controlAuthorized(request))
      return sendJson(response, 401, { error_code: 'UNAUTHENTICATED', message: 'Bad token' });
    if (path === '/-/berth/status' && request.method === 'GET') return sendJson(response, 200, status());
    if (path === '/-/berth/reload' && request.method === 'POST') {
      await readBody(request);
      await checkHealth();
      return sendJson(response, 200, status());
    }
    return sendJson(response, 404, { error_code: 'NOT_FOUND', message: 'Not found' });
  }
  if (authorized && !isOpenPath(path ?? '/') && !authorized(request.headers.authorization)) {
    response.setHeader('www-authenticate', 'Bearer');
    return sendJson(response, 401, {
      error_code: 'UNAUTHENTICATED',
      message: `Endpoint '${name}' requires Authorization: Bearer <token> (its auth_token_file).`,
    });
  }
  if ((path === '/ping' || path === '/health') && request.method === 'GET') {
    const healthy = members.some((member) => member.healthy && member.weight > 0);
    response.writeHead(healthy ? 200 : 503, { 'content-type': 'text/plain' });
    return void response.end(healthy ? '\n' : 'no healthy member\n');
  }
  await proxy(request, response);
}

async function main(message: StartMessage): Promise<void> {
  if (message.serve.role !== 'router') throw new Error('router.js routes endpoints, not models');
  name = message.serve.name;
  store = await openStateStore(message.serve.stateDirectory);
  const tokenFile = store.endpoints.get(name)?.config.auth_token_file;
  if (typeof tokenFile === 'string') authorized = bearerCheck(await readTokenFile(tokenFile));
  await checkHealth();
  const server = http.createServer(
    {
      headersTimeout: HEADERS_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      // Node checks both limits on this timer (30 s by default, which would stretch them).
      connectionsCheckingInterval: 1_000,
    },
    (request, response) => {
      handle(request, response).catch((error: Error) => {
        if (!response.headersSent) unavailable(response, error.message);
        else response.destroy();
      });
    },
  );
  server.keepAliveTimeout = 5_000;
  server.maxConnections = MAX_CONNECTIONS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(message.port, message.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const host = message.host.includes(':') ? `[${message.host}]` : message.host;
  const url = `http://${host}:${port}`;
  setInterval(() => void checkHealth(), HEALTH_INTERVAL_MS).unref();
  process.send?.({ type: 'ready', pid: process.pid, port, url } satisfies ReadyMessage);
  process.stdout.write(`router ${name} listening on ${url}\n`);
  const shutdown = () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 5_000).unref();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  // Without its supervisor nobody would restart or stop this router.
  process.on('disconnect', shutdown);
  process.channel?.unref();
}

let started = false;
process.on('message', (message: unknown) => {
  if (!isStartMessage(message) || started) return;
  started = true;
  main(message).catch((error: Error) => {
    process.stderr.write(`router ${name} failed: ${error.stack ?? error.message}\n`);
    process.exit(1);
  });
});
process.on('disconnect', () => {
  if (!started) process.exit(0);
});
