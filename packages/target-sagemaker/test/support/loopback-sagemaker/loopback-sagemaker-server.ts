/**
 * A loopback SageMaker for tests: control plane (AWS JSON 1.1, `X-Amz-Target: SageMaker.<Op>`) and
 * runtime (REST JSON) on one 127.0.0.1 port, so `AWS_ENDPOINT_URL_SAGEMAKER` and
 * `AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME` can both point at it. S3 (model data, async input/output)
 * and CloudWatch (rollback alarms) are moto_server's.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { S3Client } from '@aws-sdk/client-s3';
import { AwsError } from './aws-errors.js';
import { ContainerHost } from './container-host.js';
import { ControlPlane } from './control-plane.js';
import { Runtime } from './runtime.js';

export interface LoopbackSageMakerOptions {
  /** moto_server's URL, for S3 and CloudWatch. Without it, containers and alarms are unavailable. */
  motoUrl?: string;
  region?: string;
  createLatencyMs?: number;
  updateLatencyMs?: number;
  deleteLatencyMs?: number;
  /** One second of deployment wait intervals lasts this long here (default 1000). */
  secondsMs?: number;
  alarmPollMs?: number;
  asyncLatencyMs?: number;
  /** Start a real scoring server per variant (default true). */
  runContainers?: boolean;
  /** Arguments added after `serve` for every container (default `--workers 0`). */
  containerArguments?: string[];
}

export interface LoopbackSageMaker {
  readonly url: string;
  readonly port: number;
  readonly control: ControlPlane;
  readonly runtime: Runtime;
  /** Every control-plane call received, in order. */
  readonly calls: Array<{ operation: string; input: Record<string, unknown> }>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** Dummy credentials: moto accepts anything, and no real credential must ever reach a test. */
export const TEST_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

export async function startLoopbackSageMaker(options: LoopbackSageMakerOptions = {}): Promise<LoopbackSageMaker> {
  const region = options.region ?? 'us-west-2';
  let s3: Promise<S3Client> | undefined;
  let cloudWatch: Promise<CloudWatchClient> | undefined;
  const motoUrl = options.motoUrl;
  const s3Client = () => {
    if (!motoUrl) throw new Error('the loopback SageMaker server needs moto_server for S3');
    s3 ??= import('@aws-sdk/client-s3').then(
      ({ S3Client }) =>
        new S3Client({ region, endpoint: motoUrl, forcePathStyle: true, credentials: TEST_CREDENTIALS }),
    );
    return s3;
  };
  if (motoUrl) {
    cloudWatch = import('@aws-sdk/client-cloudwatch').then(
      ({ CloudWatchClient }) => new CloudWatchClient({ region, endpoint: motoUrl, credentials: TEST_CREDENTIALS }),
    );
  }
  const containers = new ContainerHost({
    s3: s3Client,
    extraArguments: options.containerArguments ?? ['--workers', '0'],
  });
  const control = new ControlPlane({
    region,
    createLatencyMs: options.createLatencyMs ?? 200,
    updateLatencyMs: options.updateLatencyMs ?? 200,
    deleteLatencyMs: options.deleteLatencyMs ?? 100,
    secondsMs: options.secondsMs ?? 1000,
    alarmPollMs: options.alarmPollMs ?? 100,
    runContainers: options.runContainers ?? true,
    containers,
    cloudWatch: cloudWatch ? () => cloudWatch as Promise<CloudWatchClient> : undefined,
  });
  const runtime = new Runtime(control, s3Client, region, options.asyncLatencyMs ?? 50);
  const calls: LoopbackSageMaker['calls'] = [];

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      void answer(request, response, Buffer.concat(chunks)).catch((error: unknown) => {
        if (!response.headersSent) {
          response.writeHead(500, { 'content-type': 'application/x-amz-json-1.1' });
          response.end(JSON.stringify({ __type: 'InternalFailure', message: String(error) }));
        } else response.destroy();
      });
    });
  });

  async function answer(request: IncomingMessage, response: ServerResponse, body: Buffer): Promise<void> {
    if (!String(request.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 ')) {
      return jsonError(
        response,
        new AwsError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403),
      );
    }
    if (await runtime.handle(request, response, body)) return;
    const target = String(request.headers['x-amz-target'] ?? '');
    if (request.method !== 'POST' || !target.startsWith('SageMaker.')) {
      return jsonError(
        response,
        new AwsError('UnknownOperationException', `No operation for ${request.method} ${request.url}`, 404),
      );
    }
    const operation = target.slice('SageMaker.'.length);
    let input: Record<string, unknown>;
    try {
      input = body.length === 0 ? {} : (JSON.parse(body.toString('utf8')) as Record<string, unknown>);
    } catch {
      return jsonError(
        response,
        new AwsError('SerializationException', 'Start of structure or map found where not expected.'),
      );
    }
    calls.push({ operation, input });
    try {
      const result = await control.handle(operation, input);
      const text = JSON.stringify(result);
      response.writeHead(200, {
        'content-type': 'application/x-amz-json-1.1',
        'content-length': Buffer.byteLength(text),
        'x-amzn-requestid': randomUUID(),
      });
      response.end(text);
    } catch (error) {
      if (error instanceof AwsError) return jsonError(response, error);
      throw error;
    }
  }

  // Clients keep idle sockets open without a timeout of their own: if the server closed an idle one
  // (node's default is after 5 s) just as a client reused it, that request would fail ECONNRESET.
  server.keepAliveTimeout = 10 * 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    control,
    runtime,
    calls,
    async reset() {
      calls.length = 0;
      runtime.reset();
      await control.reset();
    },
    close() {
      closed ??= (async () => {
        await control.close();
        await containers.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        (await s3)?.destroy();
        (await cloudWatch)?.destroy();
      })();
      return closed;
    },
  };
}

function jsonError(response: ServerResponse, error: AwsError): void {
  const text = JSON.stringify({ __type: error.type, message: error.message });
  response.writeHead(error.status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
  });
  response.end(text);
}
