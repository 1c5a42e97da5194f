import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BerthError, type TargetConfig } from '@berth/core';
// #sort
import { parseConfig, TARGET_NAME } from './__id__-config.js';
import { loadLinearModel, predictLinear, rowsOf } from './linear-model.js';
// #endsort

const MAX_BODY_BYTES = 10 * 1024 * 1024;

/**
 * `berth run-local -t __id__ --name N -m MODEL`: serves the model in the foreground on 127.0.0.1
 * (`-C port=`, default 5000; 0 picks a free port) with MLflow's scoring routes — `GET /ping` and
 * `POST /invocations` — until Ctrl-C or SIGTERM. Nothing is recorded: the other commands do not
 * see it. Replace it with whatever runs your backend locally (a container, a dev server).
 */
export async function runLocal(
  name: string,
  modelUri: string,
  flavor?: string,
  config: TargetConfig = {},
): Promise<void> {
  if (flavor !== undefined && flavor !== 'linear') {
    throw BerthError.invalidParameterValue(`The ${TARGET_NAME} target serves the 'linear' flavor, not '${flavor}'.`);
  }
  const { port } = parseConfig(config);
  const model = await loadLinearModel(modelUri);
  const server = createServer((request, response) => {
    answer(request, response, (inputs) => ({ predictions: predictLinear(model, rowsOf(model, inputs)) }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const { port: bound } = server.address() as AddressInfo;
  process.stdout.write(`Serving '${name}' (${modelUri}) at http://127.0.0.1:${bound} — press Ctrl-C to stop.\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      server.close(() => resolve());
      server.closeAllConnections();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

function answer(
  request: IncomingMessage,
  response: ServerResponse,
  predict: (inputs: Record<string, unknown>) => unknown,
) {
  const send = (status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  if (request.method === 'GET' && request.url === '/ping') return send(200, {});
  if (request.method !== 'POST' || request.url !== '/invocations') {
    return send(404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'Use GET /ping or POST /invocations.' });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  request.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) request.destroy();
    else chunks.push(chunk);
  });
  request.on('end', () => {
    try {
      const text = Buffer.concat(chunks).toString('utf8');
      const csv = (request.headers['content-type'] ?? '').startsWith('text/csv');
      send(200, predict(csv ? { csv: text } : (JSON.parse(text) as Record<string, unknown>)));
    } catch (error) {
      const code = BerthError.isInstance(error) ? error.code : 'BAD_REQUEST';
      send(400, { error_code: code, message: (error as Error).message });
    }
  });
}
