/**
 * Berth's serving image without Docker: `berth-sagemaker image` writes a build context whose
 * contents are checked here, and the image's own ENTRYPOINT (read back from the written
 * Dockerfile) is run with `serve` against an /opt/ml/model-shaped folder: the container contract.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { irisModel, until } from './support/test-clients.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const bin = path.join(packageDir, 'dist/berth-sagemaker.js');
const manifest = JSON.parse(await readFile(path.join(packageDir, 'package.json'), 'utf8')) as { version: string };
const scoringServerVersion = (
  JSON.parse(await readFile(path.join(packageDir, '../scoring-server/package.json'), 'utf8')) as { version: string }
).version;

let scratch: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'berth-image-test-'));
});
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
});
afterAll(() => rm(scratch, { recursive: true, force: true }));

function run(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}) {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: options.cwd ?? scratch,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => (stdout += chunk));
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { exited, output: () => ({ stdout, stderr }) };
}

/** The Dockerfile's exec-form ENTRYPOINT, parsed back from the text. */
function entrypointOf(dockerfile: string): string[] {
  const line = dockerfile.split('\n').find((candidate) => candidate.startsWith('ENTRYPOINT '));
  if (!line) throw new Error('no ENTRYPOINT');
  return JSON.parse(line.slice('ENTRYPOINT '.length)) as string[];
}

describe('berth-sagemaker image', () => {
  it('writes the build context and prints the docker build and ECR push commands', async () => {
    const out = path.join(scratch, 'context');
    const result = run(['image', '--out', out, '--region', 'eu-west-1', '--account', '123456789012']);
    expect(await result.exited).toBe(0);
    const { stdout } = result.output();
    expect(stdout).toContain(`docker build -t berth-scoring-server:${manifest.version} ${out}`);
    expect(stdout).toContain(
      'aws ecr get-login-password --region eu-west-1 | docker login --username AWS --password-stdin 123456789012.dkr.ecr.eu-west-1.amazonaws.com',
    );
    expect(stdout).toContain(
      `docker push 123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth-scoring-server:${manifest.version}`,
    );
    expect(stdout).toContain('create-repository --repository-name berth-scoring-server --region eu-west-1');

    const dockerfile = await readFile(path.join(out, 'Dockerfile'), 'utf8');
    const instructions = dockerfile.split('\n').filter((line) => /^[A-Z]+ /.test(line));
    expect(instructions[0]).toBe('ARG NODE_IMAGE=node:20-slim');
    // The base image is a build argument (a digest can pin it); its default is node:20-slim.
    expect(instructions).toContain('FROM \u0024{NODE_IMAGE}');
    expect(instructions).toContain('USER node');
    expect(instructions).toContain('EXPOSE 8080');
    expect(instructions).toContain('LABEL com.amazonaws.sagemaker.capabilities.accept-bind-to-port=true');
    // Non-root from the USER line on: nothing after it switches back.
    const userLines = instructions.filter((line) => line.startsWith('USER '));
    expect(userLines).toEqual(['USER node']);
    expect(instructions.indexOf('USER node')).toBeLessThan(
      instructions.findIndex((line) => line.startsWith('ENTRYPOINT')),
    );
    // Exec form, not shell form: node is PID 1 and gets SIGTERM.
    expect(entrypointOf(dockerfile)).toEqual(['node', '/opt/berth/node_modules/@berth/scoring-server/dist/bin.js']);
    expect(dockerfile).not.toMatch(/^CMD /m);
    expect(dockerfile).toContain('npm install --omit=dev --ignore-scripts');

    const imageManifest = JSON.parse(await readFile(path.join(out, 'package.json'), 'utf8'));
    expect(imageManifest.dependencies).toEqual({ '@berth/scoring-server': scoringServerVersion });
    // Exact versions, no ranges.
    for (const version of Object.values({ ...imageManifest.dependencies, ...imageManifest.overrides })) {
      expect(version).toMatch(/^\d+\.\d+\.\d+(-[\w.]+)?$/);
    }
    expect(Object.keys(imageManifest.overrides).sort()).toEqual(['@berth/core', '@berth/model']);
    expect(await readFile(path.join(out, '.dockerignore'), 'utf8')).toContain('!packages/');

    // Writing again into the same context is fine; into a folder with other files it is refused.
    expect(await run(['image', '--out', out, '--account', '123456789012']).exited).toBe(0);
    const busy = path.join(scratch, 'busy');
    await mkdir(busy);
    await writeFile(path.join(busy, 'notes.txt'), 'mine');
    const refused = run(['image', '--out', busy]);
    expect(await refused.exited).toBe(1);
    expect(refused.output().stderr).toContain('is not empty (notes.txt)');
    expect(await readFile(path.join(busy, 'notes.txt'), 'utf8')).toBe('mine');
  }, 30_000);

  it('without --account the push commands look it up; --json and bad flags', async () => {
    const json = run(['image', '--out', path.join(scratch, 'json'), '--json'], { env: { AWS_REGION: 'ap-south-1' } });
    expect(await json.exited).toBe(0);
    const result = JSON.parse(json.output().stdout);
    expect(result).toMatchObject({ region: 'ap-south-1', tag: manifest.version, nodeImage: 'node:20-slim' });
    expect(result.push[0]).toBe('ACCOUNT_ID=$(aws sts get-caller-identity --query Account --output text)');
    expect(result.imageUri).toBe(
      `$ACCOUNT_ID.dkr.ecr.ap-south-1.amazonaws.com/berth-scoring-server:${manifest.version}`,
    );

    const badAccount = run(['image', '--account', '12']);
    expect(await badAccount.exited).toBe(2);
    expect(badAccount.output().stderr).toContain('--account must be a 12-digit AWS account id');
    const unknown = run(['image', '--frobnicate']);
    expect(await unknown.exited).toBe(2);
    expect(unknown.output().stderr).toContain('--frobnicate');
    const help = run(['--help']);
    expect(await help.exited).toBe(0);
    expect(help.output().stdout).toContain('Usage: berth-sagemaker image');
  }, 30_000);

  it('--tarball puts a local package into the context; npm installs the context from it (offline)', async () => {
    const fake = path.join(scratch, 'berth-scoring-server-9.9.9.tgz');
    const tar = await import('tar');
    const staging = path.join(scratch, 'staging/package');
    await mkdir(staging, { recursive: true });
    await writeFile(
      path.join(staging, 'package.json'),
      JSON.stringify({ name: '@berth/scoring-server', version: '9.9.9' }),
    );
    await tar.c({ gzip: true, file: fake, cwd: path.dirname(staging) }, ['package']);
    const out = path.join(scratch, 'local');
    expect(await run(['image', '--out', out, '--tarball', fake]).exited).toBe(0);
    const imageManifest = JSON.parse(await readFile(path.join(out, 'package.json'), 'utf8'));
    expect(imageManifest.dependencies['@berth/scoring-server']).toBe('file:packages/berth-scoring-server-9.9.9.tgz');
    expect(await readFile(path.join(out, 'packages/berth-scoring-server-9.9.9.tgz'))).toEqual(await readFile(fake));
    // The Dockerfile's install step, offline with an empty cache: npm accepts the manifest as written.
    const install = spawn(
      'npm',
      [
        'install',
        '--omit=dev',
        '--ignore-scripts',
        '--no-audit',
        '--no-fund',
        '--offline',
        '--cache',
        path.join(scratch, 'npm-cache'),
      ],
      { cwd: out, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(install);
    let installOutput = '';
    install.stderr?.on('data', (chunk) => (installOutput += chunk));
    expect(await new Promise((resolve) => install.on('exit', resolve)), installOutput).toBe(0);
    const installed = JSON.parse(
      await readFile(path.join(out, 'node_modules/@berth/scoring-server/package.json'), 'utf8'),
    );
    expect(installed.version).toBe('9.9.9');
  }, 60_000);

  it("the image's ENTRYPOINT + serve runs the container contract on an /opt/ml/model folder", async () => {
    const out = path.join(scratch, 'contract');
    expect(await run(['image', '--out', out, '--account', '123456789012']).exited).toBe(0);
    const [program, script] = entrypointOf(await readFile(path.join(out, 'Dockerfile'), 'utf8'));
    expect(program).toBe('node');
    // In the image, /opt/berth/node_modules holds the packages; here they are in the workspace.
    const local = path.join(packageDir, 'node_modules', (script as string).slice('/opt/berth/node_modules/'.length));
    const modelDir = path.join(scratch, 'root/opt/ml/model');
    await mkdir(path.dirname(modelDir), { recursive: true });
    await cp(irisModel, modelDir, { recursive: true });
    const readyFile = path.join(scratch, 'contract-ready.json');
    // SageMaker's `docker run <image> serve`, configured only by the container environment.
    const child = spawn(process.execPath, [local, 'serve', '--ready-file', readyFile], {
      env: {
        PATH: process.env.PATH ?? '',
        SAGEMAKER_BIND_TO_PORT: '0',
        BERTH_SAGEMAKER_MODEL_DIR: modelDir,
        MLFLOW_DEPLOYMENT_FLAVOR_NAME: 'onnx',
        SERVING_ENVIRONMENT: 'SageMaker',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stderr = '';
    child.stderr?.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const { port } = await until(async () => JSON.parse(await readFile(readyFile, 'utf8')) as { port: number });
    const url = `http://127.0.0.1:${port}`;
    expect((await fetch(`${url}/ping`)).status).toBe(200);
    const answer = await fetch(`${url}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(
        JSON.stringify({
          dataframe_split: {
            columns: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
            data: [[5.1, 3.5, 1.4, 0.2]],
          },
        }),
      ),
    });
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { predictions: unknown[] }).predictions).toHaveLength(1);
    // The contract's bind address is every interface (SageMaker routes to the container from outside).
    expect(stderr).toContain('listening on 0.0.0.0');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 40_000);
});
