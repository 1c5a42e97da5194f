import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LoopbackServer, startLoopbackServer } from './loopback-server.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../__fixtures__/mlflow-gateway');

export interface RecordedExchange {
  note: string;
  request: { method: string; path: string; body: unknown };
  response: { status: number; contentType: string; body: string };
}

/** What a real MLflow 3.6 gateway answered (recorded by `__fixtures__/mlflow-gateway/record.py`). */
export const recorded = JSON.parse(readFileSync(join(fixtures, 'exchanges.json'), 'utf8')) as {
  recordedWith: string;
  exchanges: RecordedExchange[];
};

/** What MLflow's own `http` client returned for the same calls, with its base URL written as `BASE`. */
export const mlflowClientResults = JSON.parse(readFileSync(join(fixtures, 'mlflow-client.json'), 'utf8')) as {
  list_endpoints: Record<string, unknown>[];
  get_endpoint: Record<string, unknown>;
  predict: Record<string, unknown>;
};

export function exchange(note: string): RecordedExchange {
  const found = recorded.exchanges.find((entry) => entry.note === note);
  if (!found) throw new Error(`no recorded exchange '${note}'`);
  return found;
}

/**
 * A loopback server that answers as the recorded gateway did: the exchange whose method, path
 * (with query) and JSON body match the request; anything else gets FastAPI's 404. The recorded
 * streamed answer is written in its SSE frames, one frame per write.
 */
export function startGatewayFixture(): Promise<LoopbackServer> {
  return startLoopbackServer((request, response) => {
    const body = request.body === '' ? null : (JSON.parse(request.body) as unknown);
    const match = recorded.exchanges.find(
      (entry) =>
        entry.request.method === request.method &&
        entry.request.path === request.url &&
        JSON.stringify(entry.request.body) === JSON.stringify(body),
    );
    if (!match) {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"detail":"Not Found"}');
      return;
    }
    response.writeHead(match.response.status, { 'content-type': match.response.contentType });
    if (!match.response.contentType.startsWith('text/event-stream')) {
      response.end(match.response.body);
      return;
    }
    for (const frame of match.response.body.split(/(?<=\n\n)/)) response.write(frame);
    response.end();
  });
}
