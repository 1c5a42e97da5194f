/**
 * What SageMaker does with a model's container: fetch `ModelDataUrl` (a `model.tar.gz` in S3 —
 * here moto's), extract it into `/opt/ml/model` (here a temporary folder of that shape), run the
 * image's entry command `serve`, and wait for `GET /ping`. Only Berth's serving image can run on
 * this machine: its entry command is `berth-scoring-server serve`, started here as a child
 * process (stopped by pid). Any other image fails as an image that cannot be pulled would.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { stopChild } from '../stop-child.js';

export interface ContainerSpec {
  image: string;
  modelDataUrl: string | undefined;
  environment: Record<string, string>;
}

export class ContainerStartError extends Error {}

export interface RunningContainer {
  readonly url: string;
  readonly pid: number;
  readonly image: string;
  /** The last lines the process wrote (stderr and stdout). */
  logs(): string;
  stop(): Promise<void>;
}

export interface ContainerHostOptions {
  s3: () => Promise<S3Client>;
  /** Images this host can run (Berth's serving image). Default: repository named `berth-scoring-server`. */
  runnableImage?: RegExp;
  startTimeoutMs?: number;
  /** Extra arguments after `serve` (tests pass `--workers 0` to keep the machine light). */
  extraArguments?: string[];
}

const DEFAULT_IMAGE = /(^|\/)berth-scoring-server(:|@|$)/;

function scoringServerBin(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('@berth/scoring-server/package.json')), 'dist/bin.js');
}

export function parseS3Url(url: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(url);
  if (!match) throw new ContainerStartError(`ModelDataUrl '${url}' is not an s3:// URL`);
  return { bucket: match[1] as string, key: match[2] as string };
}

export class ContainerHost {
  private readonly running = new Set<RunningContainer>();
  private root: string | undefined;

  constructor(private readonly options: ContainerHostOptions) {}

  async start(spec: ContainerSpec): Promise<RunningContainer> {
    if (!(this.options.runnableImage ?? DEFAULT_IMAGE).test(spec.image)) {
      throw new ContainerStartError(
        `Failed to pull image '${spec.image}': the loopback SageMaker server runs only Berth's serving image (repository berth-scoring-server).`,
      );
    }
    this.root ??= await mkdtemp(path.join((await import('node:os')).tmpdir(), 'berth-loopback-sagemaker-'));
    const home = await mkdtemp(path.join(this.root, 'container-'));
    const modelDir = path.join(home, 'opt/ml/model');
    await mkdir(modelDir, { recursive: true });
    if (spec.modelDataUrl) await this.download(spec.modelDataUrl, modelDir);
    const readyFile = path.join(home, 'ready.json');
    const child = spawn(
      process.execPath,
      [
        scoringServerBin(),
        'serve',
        '--host',
        '127.0.0.1',
        '--ready-file',
        readyFile,
        ...(this.options.extraArguments ?? []),
      ],
      {
        env: {
          PATH: process.env.PATH ?? '',
          HOME: home,
          BERTH_LOG_LEVEL: 'warn',
          ...spec.environment,
          // Port 0 + the ready file: the host learns the port without a race.
          SAGEMAKER_BIND_TO_PORT: '0',
          BERTH_SAGEMAKER_MODEL_DIR: modelDir,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-8000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const pid = child.pid;
    if (pid === undefined) throw new ContainerStartError('the container process did not start');
    const container: RunningContainer = {
      url: '',
      pid,
      image: spec.image,
      logs: () => output,
      stop: async () => {
        this.running.delete(container);
        await stopChild(child);
        await rm(home, { recursive: true, force: true });
      },
    };
    this.running.add(container);
    try {
      const port = await waitForReady(child, readyFile, this.options.startTimeoutMs ?? 30_000);
      (container as { url: string }).url = `http://127.0.0.1:${port}`;
      const ping = await fetch(`${container.url}/ping`);
      if (ping.status !== 200) throw new ContainerStartError(`/ping answered ${ping.status}`);
      return container;
    } catch (error) {
      await container.stop();
      const reason = error instanceof Error ? error.message : String(error);
      throw new ContainerStartError(`${reason}\n${output.trim().split('\n').slice(-5).join('\n')}`);
    }
  }

  private async download(modelDataUrl: string, modelDir: string): Promise<void> {
    const { bucket, key } = parseS3Url(modelDataUrl);
    const [{ GetObjectCommand }, tar, s3] = await Promise.all([
      import('@aws-sdk/client-s3'),
      import('tar'),
      this.options.s3(),
    ]);
    let body: NodeJS.ReadableStream;
    try {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      body = object.Body as NodeJS.ReadableStream;
    } catch (error) {
      throw new ContainerStartError(
        `Could not download model data from ${modelDataUrl}: ${(error as Error).name}: ${(error as Error).message}`,
      );
    }
    try {
      await pipeline(body, tar.x({ cwd: modelDir }));
    } catch (error) {
      throw new ContainerStartError(`Could not extract ${modelDataUrl}: ${(error as Error).message}`);
    }
  }

  /** Stops every container still running (by pid). */
  async close(): Promise<void> {
    await Promise.all([...this.running].map((container) => container.stop()));
    if (this.root) await rm(this.root, { recursive: true, force: true });
  }
}

async function waitForReady(child: ChildProcess, readyFile: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new ContainerStartError(
        `the container exited (${child.exitCode ?? child.signalCode}) before it answered /ping`,
      );
    }
    try {
      return (JSON.parse(await readFile(readyFile, 'utf8')) as { port: number }).port;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  throw new ContainerStartError(`the container did not answer /ping within ${timeoutMs} ms`);
}
