/**
 * A tiny tracking server on 127.0.0.1 speaking MLflow 2's REST shapes (as the reference describes
 * them): runs whose artifacts hold the model, the model registry (versions, stages, aliases,
 * download URIs) and the mlflow-artifacts proxy over a folder. MLflow 2 has no logged-model routes:
 * like any route it lacks, they get Flask's HTML 404. MLflow 3 answers are replayed from a real
 * server's recording instead (`mlflow-replay-server.ts`).
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export interface FixtureVersion {
  version: string;
  stage: string;
  source: string;
  downloadUri: string;
}

export interface FixtureOptions {
  artifactRoot: string;
  runs: Record<string, string>; // run id → artifact_uri
  models: Record<string, { versions: FixtureVersion[]; aliases: Record<string, string> }>;
  token?: string;
}

export interface FixtureServer {
  url: string;
  requests: string[];
  authorizations: Array<string | undefined>;
  close(): Promise<void>;
}

function send(response: http.ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

function notFound(response: http.ServerResponse, message: string): void {
  send(response, 404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message });
}

/** What Flask answers for a route it does not have. */
function unknownRoute(response: http.ServerResponse): void {
  response.writeHead(404, { 'content-type': 'text/html; charset=utf-8' });
  response.end(
    '<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n<p>The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.</p>\n',
  );
}

function versionJson(name: string, version: FixtureVersion) {
  return { name, version: version.version, current_stage: version.stage, source: version.source, status: 'READY' };
}

export async function startMlflowFixture(options: FixtureOptions): Promise<FixtureServer> {
  const requests: string[] = [];
  const authorizations: Array<string | undefined> = [];
  const server = http.createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://fixture');
    requests.push(`${request.method} ${url.pathname}${url.search}`);
    authorizations.push(request.headers.authorization);
    if (options.token && request.headers.authorization !== `Bearer ${options.token}`) {
      send(response, 401, { error_code: 'UNAUTHENTICATED', message: 'Missing or bad token' });
      return;
    }
    const query = Object.fromEntries(url.searchParams);
    let body: Record<string, unknown> = {};
    if (request.method === 'POST') {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      body = JSON.parse(Buffer.concat(chunks).toString() || '{}');
    }
    const route = url.pathname;
    const model = options.models[String(query.name ?? body.name)];
    switch (route) {
      case '/api/2.0/mlflow/runs/get': {
        const artifactUri = options.runs[query.run_id ?? ''];
        if (!artifactUri) return notFound(response, `Run with id=${query.run_id} not found`);
        return send(response, 200, {
          run: {
            info: { run_id: query.run_id, run_uuid: query.run_id, experiment_id: '0', artifact_uri: artifactUri },
          },
        });
      }
      case '/api/2.0/mlflow/registered-models/get-latest-versions': {
        if (!model) return notFound(response, `Registered Model with name=${body.name} not found`);
        const stages = (body.stages as string[] | undefined)?.map((stage) => stage.toLowerCase());
        // MLflow answers the latest version per stage.
        const byStage = new Map<string, FixtureVersion>();
        for (const version of model.versions) {
          if (stages && stages.length > 0 && !stages.includes(version.stage.toLowerCase())) continue;
          const best = byStage.get(version.stage);
          if (!best || Number(version.version) > Number(best.version)) byStage.set(version.stage, version);
        }
        return send(response, 200, {
          model_versions: [...byStage.values()].map((version) => versionJson(String(body.name), version)),
        });
      }
      case '/api/2.0/mlflow/model-versions/get':
      case '/api/2.0/mlflow/model-versions/get-download-uri': {
        const version = model?.versions.find((candidate) => candidate.version === query.version);
        if (!version)
          return notFound(response, `Model Version (name=${query.name}, version=${query.version}) not found`);
        if (route.endsWith('get-download-uri')) return send(response, 200, { artifact_uri: version.downloadUri });
        return send(response, 200, { model_version: versionJson(query.name ?? '', version) });
      }
      case '/api/2.0/mlflow/registered-models/get': {
        if (!model) return notFound(response, `Registered Model with name=${query.name} not found`);
        const aliases = Object.entries(model.aliases).map(([alias, version]) => ({ alias, version }));
        return send(response, 200, { registered_model: { name: query.name, aliases } });
      }
      case '/api/2.0/mlflow/registered-models/alias': {
        const target = model?.aliases[query.alias ?? ''];
        const version = model?.versions.find((candidate) => candidate.version === target);
        // MLflow answers a missing alias (of a model or not) with INVALID_PARAMETER_VALUE.
        if (!version) {
          return send(response, 400, {
            error_code: 'INVALID_PARAMETER_VALUE',
            message: `Registered model alias ${query.alias} not found.`,
          });
        }
        return send(response, 200, { model_version: versionJson(query.name ?? '', version) });
      }
      case '/api/2.0/mlflow-artifacts/artifacts': {
        const folder = path.join(options.artifactRoot, query.path ?? '');
        const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
        const files = await Promise.all(
          entries.map(async (entry) => ({
            path: entry.name,
            is_dir: entry.isDirectory(),
            ...(entry.isDirectory() ? {} : { file_size: String((await stat(path.join(folder, entry.name))).size) }),
          })),
        );
        return send(response, 200, { files });
      }
    }
    if (route.startsWith('/api/2.0/mlflow-artifacts/artifacts/')) {
      const relative = decodeURIComponent(route.slice('/api/2.0/mlflow-artifacts/artifacts/'.length));
      const file = path.join(options.artifactRoot, relative);
      if (!file.startsWith(options.artifactRoot) || !(await stat(file).catch(() => undefined))?.isFile()) {
        return notFound(response, `File ${relative} not found`);
      }
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      createReadStream(file).pipe(response);
      return;
    }
    unknownRoute(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    authorizations,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Serves a folder as static files (no listing), counting requests. */
export async function startStaticServer(
  root: string,
): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server = http.createServer(async (request, response) => {
    const relative = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    requests.push(relative);
    const file = path.join(root, relative);
    if (!file.startsWith(root) || !(await stat(file).catch(() => undefined))?.isFile()) {
      response.writeHead(404);
      response.end('not found');
      return;
    }
    response.writeHead(200);
    createReadStream(file).pipe(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
