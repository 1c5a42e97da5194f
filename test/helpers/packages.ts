import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type ProcessResult, runProcess } from './berth-process.js';

// npm variables inherited from `npx pnpm …` must not redirect installs to another prefix.
export const NPM_ENVIRONMENT = {
  npm_config_global: undefined,
  npm_config_prefix: undefined,
  npm_config_location: undefined,
};
export const NPM_FLAGS = ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];

/** A child process must not think it runs inside this vitest (a nested vitest would report to us). */
export const OUTSIDE_VITEST = {
  ...NPM_ENVIRONMENT,
  VITEST: undefined,
  VITEST_MODE: undefined,
  VITEST_POOL_ID: undefined,
  VITEST_WORKER_ID: undefined,
  TEST: undefined,
  NODE_ENV: undefined,
  BERTH_TEST_REPORT: undefined,
  // The repository's .npmrc sets engine-strict, and npx exports it; a user's npm has it off.
  npm_config_engine_strict: undefined,
};

/** Throws with the command's output unless it exited 0. */
export function check(result: ProcessResult, what: string): ProcessResult {
  if (result.code !== 0) {
    throw new Error(`${what} failed (exit ${result.code ?? result.signal}):\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}

/** `pnpm pack` of a package folder into `destination`; returns the tarball's path. */
export async function pack(packageDirectory: string, destination: string): Promise<string> {
  await mkdir(destination, { recursive: true });
  check(
    await runProcess('npx', ['-y', 'pnpm@12.4.2', 'pack', '--pack-destination', destination], {
      cwd: packageDirectory,
      env: NPM_ENVIRONMENT,
      timeoutMs: 120_000,
    }),
    `pnpm pack ${packageDirectory}`,
  );
  const [file] = (await readdir(destination)).filter((name) => name.endsWith('.tgz'));
  if (!file) throw new Error(`pnpm pack ${packageDirectory} left no tarball in ${destination}`);
  return join(destination, file);
}

/** npm with the flags every install here uses (offline-first, quiet). */
export function npm(args: string[], cwd: string): Promise<ProcessResult> {
  return runProcess('npm', [...args, ...NPM_FLAGS], { cwd, env: NPM_ENVIRONMENT, timeoutMs: 240_000 });
}
