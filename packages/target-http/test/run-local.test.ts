import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { BerthError } from '@berth/core';
import { afterAll, describe, expect, it } from 'vitest';
import { HttpDeploymentClient } from '../dist/index.js';
import { berthCli, irisInput, irisModel, packageDirectory } from './berth-server-process.js';

const children: ReturnType<typeof spawn>[] = [];

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

describe('berth run-local -t http', () => {
  it('serves the model through a Berth server in the foreground; Ctrl-C deletes it and stops the server', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.BERTH_TOKEN;
    const child = spawn(
      process.execPath,
      [berthCli, 'run-local', '-t', 'http', '--name', 'rl', '-m', irisModel, '-C', 'server_port=0'],
      { cwd: packageDirectory, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    // A busy machine can take tens of seconds to start the server and the deployment.
    await expect.poll(() => stdout, { timeout: 150_000, interval: 200 }).toContain('Press Ctrl-C to stop.');
    const url = /at (http:\/\/127\.0\.0\.1:\d+) \(target local:([^)]+)\)/.exec(stdout);
    const token = /export BERTH_TOKEN=(\S+)/.exec(stdout)?.[1];
    expect(url, stdout + stderr).not.toBeNull();
    const [, baseUrl, stateDirectory] = url as RegExpExecArray;
    expect(existsSync(stateDirectory as string)).toBe(true);

    const client = new HttpDeploymentClient(baseUrl as string, { environment: { ...env, BERTH_TOKEN: token } });
    expect((await client.getDeployment('rl')).state).toBe('ready');
    expect((await client.predict('rl', irisInput)).predictions).toHaveLength(3);
    await client.close();

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stdout).toContain("Deleting 'rl' and stopping the server.");
    expect(existsSync(stateDirectory as string)).toBe(false);
    // The server is gone with it: its port refuses.
    const refused = await new HttpDeploymentClient(`${baseUrl}?server=berth`, {
      environment: { ...env, BERTH_TOKEN: token, BERTH_HTTP_REQUEST_MAX_RETRIES: '0' },
    })
      .listDeployments()
      .catch((error: unknown) => error);
    expect(BerthError.isInstance(refused) && refused.message).toMatch(/ECONNREFUSED/);
  }, 240_000);

  it('refuses an address beyond loopback', async () => {
    const child = spawn(
      process.execPath,
      [berthCli, 'run-local', '-t', 'http', '--name', 'rl', '-m', irisModel, '-C', 'server_host=0.0.0.0'],
      { cwd: packageDirectory, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', (exit) => resolve(exit)));
    expect(code).toBe(3);
    expect(stderr).toContain('run-local serves on this machine');
  }, 60_000);
});
