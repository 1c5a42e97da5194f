import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  berthCli,
  irisInput,
  packageDirectory,
  removeTemporaryDirectories,
  temporaryDirectory,
} from './berth-server-process.js';
import { answerJson, closeAllLoopbackServers, startLoopbackServer } from './loopback-server.js';

const probe = join(packageDirectory, 'test/module-probe.cjs');
const inputFile = join(temporaryDirectory('berth-http-loading-'), 'input.json');
writeFileSync(inputFile, JSON.stringify(irisInput));

afterEach(() => closeAllLoopbackServers());
afterAll(() => removeTemporaryDirectories());

/** Runs the built CLI with the module probe preloaded; returns its output and what it loaded. */
function berthWithProbe(
  args: string[],
): Promise<{ code: number | null; stdout: string; loaded: { zod: boolean; undici: boolean } }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--require', probe, berthCli, ...args], {
      cwd: packageDirectory,
      env: { ...process.env, BERTH_TOKEN: 'loading-test-token-0123456789' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      const line = stderr.split('\n').find((text) => text.startsWith('MODULE-PROBE '));
      if (!line) return reject(new Error(`no probe line in: ${stderr}`));
      resolve({ code, stdout, loaded: JSON.parse(line.slice('MODULE-PROBE '.length)) });
    });
  });
}

describe('what a command loads (speed is a feature)', () => {
  it('berth help -t http loads neither zod nor undici', async () => {
    const run = await berthWithProbe(['help', '-t', 'http']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Targets 'http' and 'https'");
    expect(run.stdout).toMatch(/server +one of 'auto', 'berth', 'mlflow'/);
    expect(run.loaded).toEqual({ zod: false, undici: false });
  }, 60_000);

  it('berth predict -t http://… loads neither zod nor undici', async () => {
    const server = await startLoopbackServer((request, response) => {
      if (request.url === '/api/berth/v1/server') {
        return answerJson(response, 200, { server: { name: '@berth/server', version: '0.1.0' }, api: 'v1' });
      }
      answerJson(response, 200, { predictions: [0, 1, 2] });
    });
    const run = await berthWithProbe(['predict', '-t', server.url, '--name', 'iris', '-I', inputFile]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ predictions: [0, 1, 2] });
    expect(server.seen.map((request) => `${request.method} ${request.url}`)).toEqual([
      'GET /api/berth/v1/server',
      'POST /api/berth/v1/predict',
    ]);
    expect(run.loaded).toEqual({ zod: false, undici: false });
  }, 60_000);
});
