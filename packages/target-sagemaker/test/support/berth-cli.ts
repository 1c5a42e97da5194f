/**
 * The `berth` binary as a user runs it: from a project folder whose package.json depends on
 * `@berth/target-sagemaker` (linked to this workspace package), with the AWS SDK's standard
 * `AWS_ENDPOINT_URL_<SERVICE>` variables pointing at loopback servers and dummy credentials. No
 * credential or config file of the machine is read.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = fileURLToPath(new URL('../..', import.meta.url));
/** What npm links as `berth` (the CLI's package.json `bin`): its fast paths answer as they do for a user. */
export const berthBin = path.join(packageDir, '../cli/bin/berth.cjs');

export interface BerthResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (for --json runs). */
  json<T = Record<string, unknown>>(): T;
}

export interface BerthProject {
  directory: string;
  home: string;
  env: Record<string, string>;
  run(args: string[], options?: { env?: Record<string, string>; timeoutMs?: number }): Promise<BerthResult>;
  /** Starts the CLI without waiting (for Ctrl-C and mid-operation tests); stop it by pid. */
  start(
    args: string[],
    options?: { env?: Record<string, string> },
  ): { child: ChildProcess; result: Promise<BerthResult> };
  remove(): Promise<void>;
}

export async function berthProject(endpoints: { sagemaker?: string; moto: string }): Promise<BerthProject> {
  const directory = await mkdtemp(path.join(tmpdir(), 'berth-sagemaker-project-'));
  await writeFile(
    path.join(directory, 'package.json'),
    JSON.stringify({ name: 'sagemaker-e2e', private: true, dependencies: { '@berth/target-sagemaker': '*' } }),
  );
  await mkdir(path.join(directory, 'node_modules/@berth'), { recursive: true });
  await symlink(packageDir, path.join(directory, 'node_modules/@berth/target-sagemaker'), 'dir');
  const home = path.join(directory, '.berth');
  const sagemaker = endpoints.sagemaker ?? endpoints.moto;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: directory,
    BERTH_HOME: home,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: 'us-west-2',
    AWS_CONFIG_FILE: path.join(directory, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(directory, 'no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_SAGEMAKER: sagemaker,
    AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: sagemaker,
    AWS_ENDPOINT_URL_S3: endpoints.moto,
    AWS_ENDPOINT_URL_STS: endpoints.moto,
    AWS_ENDPOINT_URL_IAM: endpoints.moto,
    AWS_ENDPOINT_URL_ECR: endpoints.moto,
    AWS_ENDPOINT_URL_CLOUDWATCH: endpoints.moto,
    // The loopback servers answer at once; MLflow's 5 s poll would only slow the tests.
    BERTH_SAGEMAKER_POLL_SECONDS: '0.1',
  };
  const start = (args: string[], options: { env?: Record<string, string> } = {}) => {
    const child = spawn(process.execPath, [berthBin, ...args], {
      cwd: directory,
      env: { ...env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk) => (stdout += chunk));
    child.stderr?.on('data', (chunk) => (stderr += chunk));
    const result = new Promise<BerthResult>((resolve) => {
      child.on('exit', (code) =>
        resolve({
          code,
          stdout,
          stderr,
          json<T>() {
            try {
              return JSON.parse(stdout) as T;
            } catch {
              throw new Error(`berth ${args.join(' ')} printed no JSON (exit ${code}):\n${stdout}\n${stderr}`);
            }
          },
        }),
      );
    });
    return { child, result };
  };
  return {
    directory,
    home,
    env,
    start,
    async run(args, options = {}) {
      const { child, result } = start(args, options);
      const timeoutMs = options.timeoutMs ?? 120_000;
      const timer = setTimeout(() => {
        if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
      }, timeoutMs);
      try {
        return await result;
      } finally {
        clearTimeout(timer);
      }
    },
    remove: () => rm(directory, { recursive: true, force: true }),
  };
}
