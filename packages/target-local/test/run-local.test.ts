import { spawn } from 'node:child_process';
import { describe, expect, it, vi } from 'vitest';
import { distEntry, irisInput, irisModel, post } from './helpers.js';

describe('runLocal', () => {
  it('serves in the foreground, prints its URL, and exits 0 on SIGTERM', async () => {
    const script = `
      const { runLocal } = await import(${JSON.stringify(distEntry)});
      await runLocal('fg', ${JSON.stringify(irisModel)}, undefined, { port: '0' });
      console.log('stopped cleanly');`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const url = await vi.waitFor(
        () => {
          const found = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
          if (!found) throw new Error(`no URL printed yet: ${out}`);
          return found;
        },
        { timeout: 60_000, interval: 20 },
      );
      const answer = await post(`${url}/invocations`, irisInput);
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.text).predictions).toHaveLength(3);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out).toContain('stopped cleanly');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 90_000);

  it('refuses a non-loopback host without auth_token_file or allow_remote', async () => {
    const { runLocal } = await import('../dist/index.js');
    await expect(runLocal('x', irisModel, undefined, { host: '0.0.0.0' })).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      message: expect.stringMatching(/^Refusing to bind 0\.0\.0\.0 without authentication/),
      suggestions: expect.arrayContaining([
        expect.stringMatching(/auth_token_file/),
        expect.stringMatching(/allow_remote=true/),
      ]),
    });
  }, 30_000);
});
