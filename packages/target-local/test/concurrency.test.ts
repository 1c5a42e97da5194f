import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalDeploymentClient } from '../dist/index.js';
import { destroyStateDirectory, distEntry, irisInput, irisModel, temporaryStateDirectory } from './helpers.js';

const state = temporaryStateDirectory();
const client = new LocalDeploymentClient(`local:${state}`);

afterAll(async () => {
  await Promise.all(
    (await client.listDeployments()).map((d) => client.deleteDeployment(d.name).catch(() => undefined)),
  );
  await client.close();
  destroyStateDirectory(state);
}, 120_000);

/** One separate node process per create, as separate `berth create` invocations would be. */
function createInProcess(name: string): Promise<{ ok: boolean; code?: string; message?: string }> {
  const script = `
    const { LocalDeploymentClient } = await import(${JSON.stringify(distEntry)});
    const client = new LocalDeploymentClient(${JSON.stringify(`local:${state}`)});
    try {
      await client.createDeployment(${JSON.stringify(name)}, ${JSON.stringify(irisModel)}, { config: { readiness_timeout: '150' } });
      console.log(JSON.stringify({ ok: true }));
    } catch (error) {
      console.log(JSON.stringify({ ok: false, code: error.code, message: error.message }));
    }
    await client.close();`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 200_000);
    child.on('exit', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1) ?? ''));
      } catch {
        reject(new Error(`create ${name} printed: ${out}`));
      }
    });
  });
}

describe('concurrent CLI processes', () => {
  it('20 concurrent creates of the same name: exactly one succeeds, the rest get RESOURCE_ALREADY_EXISTS', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => createInProcess('same')));
    const failures = results.filter((r) => !r.ok);
    expect(
      results.filter((r) => r.ok),
      JSON.stringify(failures.find((r) => r.code !== 'RESOURCE_ALREADY_EXISTS')),
    ).toHaveLength(1);
    expect(failures.map((r) => r.code)).toEqual(Array(19).fill('RESOURCE_ALREADY_EXISTS'));
    expect((await client.listDeployments()).map((d) => d.name)).toEqual(['same']);
    await client.deleteDeployment('same');
  }, 240_000);

  it('20 concurrent creates with distinct names all succeed, each on its own port, all serving', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `c${String(i).padStart(2, '0')}`);
    const results = await Promise.all(names.map(createInProcess));
    expect(results.filter((r) => !r.ok)).toEqual([]);
    const listed = await client.listDeployments();
    expect(listed.map((d) => d.name)).toEqual(names);
    expect(new Set(listed.map((d) => d.port)).size).toBe(20);
    expect(listed.every((d) => d.state === 'ready')).toBe(true);
    const answers = await Promise.all(names.map((name) => client.predict(name, irisInput)));
    expect(answers.every((answer) => (answer.predictions as unknown[]).length === 3)).toBe(true);
  }, 300_000);
});
