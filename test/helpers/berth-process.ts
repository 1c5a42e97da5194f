import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const testDirectory = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The built CLI, as `pnpm build` leaves it; the tests run it as a user would. */
export const berthBin = join(testDirectory, '..', 'packages', 'cli', 'bin', 'berth.cjs');

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Written to the child's stdin, which is then closed. */
  input?: string;
  timeoutMs?: number;
}

/** Variables that would change what berth does, removed so the machine's own settings cannot leak in. */
const BERTH_VARIABLES = ['BERTH_TARGET', 'MLFLOW_DEPLOYMENTS_TARGET', 'BERTH_DEBUG', 'BERTH_HOME', 'raiseError'];

export function cleanEnvironment(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = { ...process.env };
  for (const name of BERTH_VARIABLES) delete environment[name];
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete environment[name];
    else environment[name] = value;
  }
  return environment;
}

/** Runs a program to completion (killed by pid after `timeoutMs`), collecting its output. */
export function runProcess(command: string, args: string[], options: RunOptions = {}): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? testDirectory,
      env: cleanEnvironment(options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    // A command that exits without reading stdin closes the pipe first; the EPIPE that follows is
    // not a test failure (the exit code and output are what the test asserts on).
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** `node <built cli> …args`. */
export function runBerth(args: string[], options: RunOptions = {}): Promise<ProcessResult> {
  return runProcess(process.execPath, [berthBin, ...args], options);
}

function fixtureVersion(name: string): string {
  const manifest = JSON.parse(readFileSync(join(testDirectory, 'fixtures', name, 'package.json'), 'utf8'));
  return manifest.version as string;
}

/** Fixture versions, read rather than hard-coded, so a version bump does not break the assertions. */
export const fakeVersion = fixtureVersion('berth-target-fake');
export const bundledVersion = fixtureVersion('berth-target-bundled');

/** The text as a regular-expression source (for versions inside table-row patterns). */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
