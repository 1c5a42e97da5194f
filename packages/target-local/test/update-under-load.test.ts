import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalDeploymentClient } from '../dist/index.js';
import {
  copyOfIris,
  destroyStateDirectory,
  freePort,
  irisInput,
  irisModel,
  startLoad,
  temporaryStateDirectory,
  unloadableModel,
  unreadyModel,
} from './helpers.js';

const state = temporaryStateDirectory();
const models = temporaryStateDirectory('berth-models-');
const client = new LocalDeploymentClient(`local:${state}`);
const modelB = copyOfIris(models, 'iris-b');
const unloadable = unloadableModel(models, 'unloadable');
const unready = unreadyModel(models, 'unready');

afterAll(async () => {
  await client.deleteEndpoint('live').catch(() => undefined);
  await client.deleteDeployment('hot').catch(() => undefined);
  await client.close();
  destroyStateDirectory(state);
  destroyStateDirectory(models);
}, 60_000);

describe('updates under load', () => {
  beforeAll(async () => {
    await client.createDeployment('hot', irisModel);
  }, 60_000);

  it('20 model updates (some broken, rolled back) under load: zero non-2xx, zero errors', async () => {
    const deployment = await client.getDeployment('hot');
    const load = startLoad(() => `${deployment.url}/invocations`, irisInput, 4, 120_000);
    const plan = [modelB, irisModel, unloadable, modelB, unready, irisModel];
    let failed = 0;
    let succeeded = 0;
    for (let i = 0; i < 20; i++) {
      const modelUri = plan[i % plan.length] as string;
      const broken = modelUri === unloadable || modelUri === unready;
      const before = await client.getDeployment('hot');
      try {
        const updated = await client.updateDeployment('hot', { modelUri });
        expect(broken).toBe(false);
        expect(updated.modelUri).toBe(modelUri);
        succeeded++;
      } catch (error) {
        expect(broken, `a valid update failed: ${(error as Error).message}`).toBe(true);
        expect((error as Error).message).toMatch(/keeps serving/);
        const after = await client.getDeployment('hot');
        expect(after.modelUri).toBe(before.modelUri);
        expect(after.version).toBe(before.version);
        failed++;
      }
    }
    const result = await load.stop();
    expect(failed).toBeGreaterThanOrEqual(6);
    expect(succeeded).toBeGreaterThanOrEqual(12);
    expect(result.requests).toBeGreaterThan(100);
    expect(result.errors).toEqual([]);
    expect(Object.keys(result.statuses)).toEqual(['200']);
  }, 240_000);

  it('rolls back to an earlier version in one call, as a new version', async () => {
    const current = await client.getDeployment('hot');
    const versions = current.versions as { version: number; modelUri: string }[];
    const first = versions[0];
    expect(first?.modelUri).toBe(irisModel);
    const target = versions.find((v) => v.modelUri === modelB) as { version: number };
    const rolled = await client.updateDeployment('hot', { config: { rollback_to: String(target.version) } });
    expect(rolled.modelUri).toBe(modelB);
    expect(rolled.version).toBe((current.version as number) + 1);
    const history = (await client.getDeployment('hot')).versions as { note: string }[];
    expect(history.at(-1)?.note).toBe(`rollback to version ${target.version}`);
    const missing = await client
      .updateDeployment('hot', { config: { rollback_to: 999 } })
      .catch((e: { code: string }) => e);
    expect((missing as { code: string }).code).toBe('RESOURCE_DOES_NOT_EXIST');
  }, 60_000);

  it('config updates that need a new process keep an endpoint answering; the deployment URL moves', async () => {
    await client.createEndpoint('live', { traffic: { hot: 1 } });
    const endpoint = await client.getEndpoint('live');
    const load = startLoad(() => `${endpoint.url}/invocations`, irisInput, 4, 120_000);
    const urls = new Set<string>();
    for (const workers of ['2', '1', '2']) {
      const updated = await client.updateDeployment('hot', { config: { workers } });
      expect(updated.config).toMatchObject({ workers: Number(workers) });
      urls.add(updated.url as string);
    }
    // broken model + restart-requiring config: the old process keeps serving
    const failure = await client
      .updateDeployment('hot', { modelUri: unloadable, config: { workers: '1' } })
      .catch((error: Error) => error);
    expect(failure).toBeInstanceOf(Error);
    const result = await load.stop();
    expect(urls.size).toBe(3);
    expect(result.requests).toBeGreaterThan(50);
    expect(result.errors).toEqual([]);
    expect(Object.keys(result.statuses)).toEqual(['200']);
    const after = await client.getDeployment('hot');
    expect(after.config).toMatchObject({ workers: 2 });
    expect(after.state).toBe('ready');
  }, 240_000);
});

describe('fixed ports', () => {
  it('a process update on the same fixed port stops then starts; a broken one restores the old process', async () => {
    const port = String(await freePort());
    const created = await client.createDeployment('fixed', irisModel, { config: { port } });
    try {
      expect(created.url).toBe(`http://127.0.0.1:${port}`);
      const updated = await client.updateDeployment('fixed', { config: { workers: '2' } });
      expect([updated.url, updated.version, updated.state]).toEqual([created.url, 2, 'ready']);
      const failure = await client
        .updateDeployment('fixed', { modelUri: unloadable, config: { workers: '1' } })
        .catch((error: Error) => error);
      expect(failure).toBeInstanceOf(Error);
      const after = await client.getDeployment('fixed');
      expect([after.url, after.version, after.state]).toEqual([created.url, 2, 'ready']);
      expect((await client.predict('fixed', irisInput)).predictions).toHaveLength(3);
    } finally {
      await client.deleteDeployment('fixed');
    }
  }, 120_000);
});
