/**
 * Replays REST answers recorded once from a real MLflow 3.6 tracking server
 * (`__fixtures__/mlflow-3.6/<mode>/recording.json`, made by make-fixtures.sh) on 127.0.0.1:
 * a request that matches a recorded one (method, path, query, JSON body) gets the recorded status,
 * content type and body; files under the artifact proxy are served from `<mode>/artifacts`, the
 * folder the server wrote. Anything else is answered as MLflow answers an unknown route (its
 * recorded HTML 404) and kept in `misses`, so a test can assert that it asked only what a real
 * server was asked.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

export const fixturesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '__fixtures__', 'mlflow-3.6');

export type ArtifactMode = 'proxied' | 'plain';

export interface Manifest {
  example: number[][];
  runs: { mlflow3: string; 'mlflow3-retrained': string; 'mlflow2-layout': string };
  models: { mlflow3: string; 'mlflow3-retrained': string };
}

interface Exchange {
  method: string;
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  status: number;
  contentType: string | null;
  response: string;
}

export interface ReplayServer {
  url: string;
  manifest: Manifest;
  experiment: string;
  /** The artifact root that `{{ARTIFACT_ROOT}}` stands for (plain mode). */
  artifactRoot: string;
  /** `METHOD /path?query` of every request. */
  requests: string[];
  authorizations: Array<string | undefined>;
  /** Requests no recorded exchange matched. */
  misses: string[];
  close(): Promise<void>;
}

export function readManifest(mode: ArtifactMode): Manifest {
  return JSON.parse(readFileSync(path.join(fixturesDir, mode, 'manifest.json'), 'utf8')) as Manifest;
}

const ARTIFACT_FILES = '/api/2.0/mlflow-artifacts/artifacts/';

export async function startReplayServer(mode: ArtifactMode): Promise<ReplayServer> {
  const recording = JSON.parse(readFileSync(path.join(fixturesDir, mode, 'recording.json'), 'utf8')) as {
    experiment: string;
    exchanges: Exchange[];
  };
  const artifactRoot = path.join(fixturesDir, mode, 'artifacts');
  const unknownRoute = recording.exchanges.find((exchange) => exchange.path.endsWith('/no-such-route')) as Exchange;
  const missingFile = recording.exchanges.find((exchange) => exchange.path.startsWith(ARTIFACT_FILES)) as Exchange;
  const requests: string[] = [];
  const authorizations: Array<string | undefined> = [];
  const misses: string[] = [];
  let url = '';

  const fill = (text: string) =>
    text.split('{{SERVER}}').join(url).split('{{ARTIFACT_ROOT}}').join(JSON.stringify(artifactRoot).slice(1, -1));
  const answer = (response: http.ServerResponse, exchange: Exchange) => {
    response.writeHead(exchange.status, exchange.contentType ? { 'content-type': exchange.contentType } : {});
    response.end(fill(exchange.response));
  };

  const server = http.createServer(async (request, response) => {
    const parsed = new URL(request.url ?? '/', 'http://replay');
    const line = `${request.method} ${parsed.pathname}${parsed.search}`;
    requests.push(line);
    authorizations.push(request.headers.authorization);
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString();
    const body = text === '' ? undefined : (JSON.parse(text) as unknown);
    const query = Object.fromEntries(parsed.searchParams);
    const pathname = decodeURIComponent(parsed.pathname);
    const exchange = recording.exchanges.find(
      (candidate) =>
        candidate.method === request.method &&
        candidate.path === pathname &&
        isDeepStrictEqual(candidate.query ?? {}, query) &&
        isDeepStrictEqual(candidate.body, body),
    );
    if (exchange !== undefined) return answer(response, exchange);
    if (request.method === 'GET' && mode === 'proxied' && pathname.startsWith(ARTIFACT_FILES)) {
      const file = path.join(artifactRoot, pathname.slice(ARTIFACT_FILES.length));
      if (file.startsWith(artifactRoot + path.sep) && (await stat(file).catch(() => undefined))?.isFile()) {
        response.writeHead(200, { 'content-type': 'application/octet-stream' });
        createReadStream(file).pipe(response);
        return;
      }
      return answer(response, missingFile);
    }
    misses.push(body === undefined ? line : `${line} ${text}`);
    answer(response, unknownRoute);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    manifest: readManifest(mode),
    experiment: recording.experiment,
    artifactRoot,
    requests,
    authorizations,
    misses,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
