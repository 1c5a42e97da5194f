import { type ChildProcess, spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnvironment, type ProcessResult, runProcess, testDirectory } from './helpers/berth-process.js';
import { check, NPM_FLAGS, OUTSIDE_VITEST } from './helpers/packages.js';
import { packWithWorkspaceDependencies } from './helpers/workspace-tarballs.js';

// Issue 9's check, as a new user runs it on two machines: a server project (the packed @berth/cli
// and @berth/target-local, installed with npm) runs `berth serve -t local` on port 0 with a token
// file, and a client project (the packed @berth/cli and @berth/target-http, nothing else) drives
// it with every command through `-t http://127.0.0.1:PORT`, then is refused without a token, with a
// wrong one, and with a read-only token on a write. Each side has its own BERTH_HOME. The server is
// stopped by its pid; deployments are deleted through the CLI and their supervisors killed by pid
// if a failed test left any.

const USER_ENVIRONMENT = {
  ...OUTSIDE_VITEST,
  BERTH_TOKEN: undefined,
  BERTH_TOKEN_FILE: undefined,
  BERTH_SERVER_TOKEN: undefined,
  BERTH_SERVER_READ_ONLY_TOKEN: undefined,
  MLFLOW_TRACKING_TOKEN: undefined,
  MLFLOW_TRACKING_USERNAME: undefined,
  MLFLOW_TRACKING_PASSWORD: undefined,
};
// onnxruntime-node's postinstall fetches the optional CUDA provider from api.nuget.org (beyond
// loopback); the CPU runtime the iris model needs ships inside the package. Skipping the download is
// what a user without a GPU or without that host does (the variable is onnxruntime's own).
const INSTALL_ENVIRONMENT = { ...USER_ENVIRONMENT, ONNXRUNTIME_NODE_INSTALL: 'skip' };

const WRITE_TOKEN = 'serve-e2e-write-token-9f3c1a7d5b';
const READ_TOKEN = 'serve-e2e-read-token-0c4e8b2a6f';
const irisInput = {
  dataframe_split: {
    columns: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
    data: [
      [5.1, 3.5, 1.4, 0.2],
      [6.7, 3.0, 5.2, 2.3],
    ],
  },
};

let root: string;
let serverProject: string;
let clientProject: string;
let server: ChildProcess | undefined;
let serverStdout = '';
let serverStderr = '';
let url: string;
const supervisors = new Set<number>();

async function installProject(directory: string, tarballs: string[]): Promise<void> {
  await mkdir(directory, { recursive: true });
  await writeFile(join(directory, 'package.json'), JSON.stringify({ name: 'berth-user', private: true }));
  check(
    await runProcess('npm', ['install', ...NPM_FLAGS, ...tarballs], {
      cwd: directory,
      env: INSTALL_ENVIRONMENT,
      timeoutMs: 900_000,
    }),
    `npm install in ${directory}`,
  );
}

/** `berth …` from the client project's node_modules/.bin, with `environment` over a clean one. */
function clientBerth(args: string[], environment: Record<string, string | undefined> = {}): Promise<ProcessResult> {
  return runProcess(join(clientProject, 'node_modules', '.bin', 'berth'), args, {
    cwd: clientProject,
    env: { ...USER_ENVIRONMENT, BERTH_HOME: join(root, 'client-home'), BERTH_TOKEN: WRITE_TOKEN, ...environment },
    timeoutMs: 180_000,
  });
}

/** Runs a client command that must succeed; records any supervisor pid it reports. */
async function ok(args: string[], environment: Record<string, string | undefined> = {}): Promise<ProcessResult> {
  const result = check(await clientBerth(args, environment), `berth ${args.join(' ')}`);
  for (const match of result.stdout.matchAll(/"?supervisorPid"?: (\d+)/g)) supervisors.add(Number(match[1]));
  return result;
}

function startServer(): Promise<string> {
  const child = spawn(
    join(serverProject, 'node_modules', '.bin', 'berth'),
    ['serve', '-t', 'local', '--port', '0', '--token-file', 'write.token', '--read-only-token-file', 'read.token'],
    {
      cwd: serverProject,
      env: cleanEnvironment({ ...USER_ENVIRONMENT, BERTH_HOME: join(root, 'server-home') }),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  server = child;
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    serverStdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    serverStderr += chunk;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`berth serve printed no URL in 120 s:\n${serverStdout}\n${serverStderr}`)),
      120_000,
    );
    child.stdout?.on('data', () => {
      const found = /http:\/\/127\.0\.0\.1:\d+/.exec(serverStdout)?.[0];
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`berth serve exited ${code}:\n${serverStdout}\n${serverStderr}`));
    });
  });
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'berth-serve-http-'));
  const tarballs = await packWithWorkspaceDependencies(
    ['@berth/cli', '@berth/target-local', '@berth/target-http'],
    join(root, 'tarballs'),
  );
  const pick = (...names: string[]) =>
    [...tarballs.entries()].filter(([name]) => names.includes(name)).map(([, path]) => path);
  // The server machine: the CLI and the local target (with what they need); no target-http.
  serverProject = join(root, 'server');
  await installProject(
    serverProject,
    pick('@berth/cli', '@berth/core', '@berth/server', '@berth/target-local', '@berth/model', '@berth/scoring-server'),
  );
  // The client machine: the CLI and the http target; no target-local, no model code.
  clientProject = join(root, 'client');
  await installProject(clientProject, pick('@berth/cli', '@berth/core', '@berth/server', '@berth/target-http'));
  await writeFile(join(serverProject, 'write.token'), `# rotated monthly\n${WRITE_TOKEN}\n`);
  await writeFile(join(serverProject, 'read.token'), `${READ_TOKEN}\n`);
  await cp(join(testDirectory, '..', 'examples', 'models', 'iris'), join(clientProject, 'iris'), { recursive: true });
  await writeFile(join(clientProject, 'input.json'), JSON.stringify(irisInput));
  url = await startServer();
}, 1_500_000);

afterAll(async () => {
  if (server && server.exitCode === null && url) {
    for (const name of ['iris', 'iris-b']) await clientBerth(['delete', '-t', url, '--name', name]).catch(() => {});
    await clientBerth(['delete-endpoint', '-t', url, '--endpoint', 'front']).catch(() => {});
  }
  if (server?.pid && server.exitCode === null) {
    const exited = new Promise((resolve) => server?.once('exit', resolve));
    server.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 40_000))]);
    if (server.exitCode === null) server.kill('SIGKILL');
  }
  for (const pid of supervisors) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone, as it should be after the deletes
    }
  }
  if (root) await rm(root, { recursive: true, force: true });
}, 300_000);

describe('berth serve -t local from packed tarballs, driven by berth -t http://127.0.0.1:PORT', () => {
  it('the server prints where it listens, and neither token; the client project has no local target', async () => {
    expect(serverStdout).toContain(`Serving target 'local' at ${url}`);
    expect(serverStdout).not.toContain(WRITE_TOKEN);
    const targets = await ok(['targets']);
    expect(targets.stdout).toMatch(/^http\s+@berth\/target-http\s/m);
    expect(targets.stdout).not.toMatch(/^local\s/m);
  });

  it('create, predict, predict-stream, update, list, get', async () => {
    const created = await ok(['create', '-t', url, '--name', 'iris', '-m', './iris']);
    expect(created.stdout).toBe('onnx deployment iris is created\n');
    expect(created.stderr).toContain("creating deployment 'iris': accepted by the server");

    const predicted = await ok(['predict', '-t', url, '--name', 'iris', '-I', 'input.json']);
    const predictions = JSON.parse(predicted.stdout).predictions as { label: number; probabilities: number[] }[];
    expect(predictions.map((row) => row.label)).toEqual([0, 2]);
    expect(predictions[0]?.probabilities).toHaveLength(3);

    const streamed = await ok(['predict-stream', '-t', url, '--name', 'iris', '-I', 'input.json']);
    const lines = streamed.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.flatMap((line) => JSON.parse(line).predictions.map((row: { label: number }) => row.label))).toEqual([
      0, 2,
    ]);

    const updated = await ok(['update', '-t', url, '--name', 'iris', '-m', './iris', '-C', 'workers=2']);
    expect(updated.stdout).toBe('Deployment iris is updated (with flavor onnx)\n');

    const listed = await ok(['list', '-t', url]);
    expect(listed.stdout).toMatch(/^iris\s+onnx\s+ready\s+2\s+http:\/\/127\.0\.0\.1:\d+\s+\S*iris$/m);

    const got = await ok(['get', '-t', url, '--name', 'iris', '--json']);
    const deployment = JSON.parse(got.stdout);
    expect(deployment).toMatchObject({ name: 'iris', flavor: 'onnx', state: 'ready', version: 2 });
    expect(deployment.modelUri).toBe(join(clientProject, 'iris'));
    supervisors.add(deployment.supervisorPid);
  });

  it('endpoints: create, predict through, update, list, get, delete', async () => {
    const second = await clientBerth(['get', '-t', url, '--name', 'iris-b']);
    expect(second.code).toBe(4);
    expect(second.stderr).toContain("Deployment 'iris-b' does not exist");
    await ok(['create', '-t', url, '--name', 'iris-b', '-m', './iris']);

    const created = await ok(['create-endpoint', '-t', url, '--endpoint', 'front', '-C', 'traffic=iris:50,iris-b:50']);
    expect(created.stdout).toBe('Endpoint front is created\n');
    const predicted = await ok(['predict', '-t', url, '--endpoint', 'front', '-I', 'input.json']);
    expect(JSON.parse(predicted.stdout).predictions.map((row: { label: number }) => row.label)).toEqual([0, 2]);

    await ok(['update-endpoint', '-t', url, '--endpoint', 'front', '-C', 'traffic=iris:100']);
    const listed = await ok(['list-endpoints', '-t', url]);
    expect(listed.stdout).toMatch(/^front\s+ready\s+http:\/\/127\.0\.0\.1:\d+\s+\{"iris":100\}$/m);
    const got = JSON.parse((await ok(['get-endpoint', '-t', url, '--endpoint', 'front', '--json'])).stdout);
    expect(got).toMatchObject({ name: 'front', state: 'ready', traffic: { iris: 100 } });

    const deleted = await ok(['delete-endpoint', '-t', url, '--endpoint', 'front']);
    expect(deleted.stdout).toBe('Endpoint front is deleted\n');
    expect((await ok(['list-endpoints', '-t', url])).stdout).toBe('No endpoints.\n');
  });

  it('auth: no token, a wrong token, a read-only token on a write are refused; read-only predicts', async () => {
    const none = await clientBerth(['list', '-t', url], { BERTH_TOKEN: undefined });
    expect(none.code).toBe(8);
    expect(none.stderr).toContain('The server needs credentials (401 Unauthorized)');
    expect(none.stderr).toContain('Set BERTH_TOKEN');

    const wrong = await clientBerth(['list', '-t', url], { BERTH_TOKEN: 'not-the-token-at-all-0000' });
    expect(wrong.code).toBe(8);
    expect(wrong.stderr).toContain('The server refused the credentials from BERTH_TOKEN (401 Unauthorized)');
    expect(wrong.stderr).not.toContain('not-the-token-at-all-0000');

    const readOnly = { BERTH_TOKEN: READ_TOKEN };
    const write = await clientBerth(['delete', '-t', url, '--name', 'iris'], readOnly);
    expect(write.code).toBe(8);
    expect(write.stderr).toContain('are not allowed to DELETE');
    expect(write.stderr).toContain('(403 Forbidden)');
    expect(write.stderr).toContain('This token is read-only');
    const predicted = await ok(['predict', '-t', url, '--name', 'iris', '-I', 'input.json'], readOnly);
    expect(JSON.parse(predicted.stdout).predictions).toHaveLength(2);
    expect((await ok(['list', '-t', url], readOnly)).stdout).toMatch(/^iris\s+onnx\s+ready/m);

    // Through MLFLOW_TRACKING_TOKEN as well (what MLflow's own clients set).
    const mlflowToken = await ok(['list', '-t', url], { BERTH_TOKEN: undefined, MLFLOW_TRACKING_TOKEN: WRITE_TOKEN });
    expect(mlflowToken.stdout).toMatch(/^iris\s/m);
  });

  it('delete, idempotently; the server logged neither token', async () => {
    for (const name of ['iris', 'iris-b']) {
      expect((await ok(['delete', '-t', url, '--name', name])).stdout).toBe(`Deployment ${name} is deleted\n`);
    }
    expect((await ok(['delete', '-t', url, '--name', 'iris'])).stdout).toBe('Deployment iris is deleted\n');
    expect((await ok(['list', '-t', url])).stdout).not.toMatch(/^iris/m);
    expect(serverStderr).toContain('"route":"/api/berth/v1/deployments"');
    expect(serverStderr).not.toContain(WRITE_TOKEN);
    expect(serverStderr).not.toContain(READ_TOKEN);
    expect(await readFile(join(serverProject, 'write.token'), 'utf8')).toContain(WRITE_TOKEN);
  });
});
