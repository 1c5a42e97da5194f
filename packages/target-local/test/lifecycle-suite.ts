import { type BaseDeploymentClient, BerthError, type PredictionInput } from '@berth/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Lifecycle checks every target must pass (the seed of `@berth/testkit`): create → get → list →
 * predict → update (and a failing update) → delete, plus the error contract (taken name, missing
 * name, idempotent delete). Needs only the public `BaseDeploymentClient` API.
 */
export interface LifecycleOptions {
  modelUri: string;
  /** A second model accepting the same input, for the update step. */
  updateModelUri: string;
  /** A model that fails to load or to pass readiness; the update to it must fail and keep the old one. */
  brokenModelUri?: string;
  input: PredictionInput;
  /** Rows the input holds (predictions per call). */
  rows: number;
  /** Prefix for deployment names, so several suites can share a target. */
  prefix?: string;
  /** Per-step timeout; remote targets need more. */
  timeoutMs?: number;
}

export function describeTargetLifecycle(
  title: string,
  createClient: () => BaseDeploymentClient | Promise<BaseDeploymentClient>,
  options: LifecycleOptions,
): void {
  const timeout = options.timeoutMs ?? 60_000;
  const name = `${options.prefix ?? 'lifecycle'}-a`;

  describe(`${title}: deployment lifecycle`, () => {
    let client: BaseDeploymentClient;

    beforeAll(async () => {
      client = await createClient();
    });

    afterAll(async () => {
      await client?.deleteDeployment(name).catch(() => undefined);
    }, timeout);

    const expectCode = async (promise: Promise<unknown>, code: string) => {
      const error = await promise.then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(BerthError.isInstance(error), `expected a BerthError ${code}, got ${String(error)}`).toBe(true);
      expect((error as BerthError).code).toBe(code);
      return error as BerthError;
    };

    it(
      'creates a deployment that answers predictions',
      async () => {
        const created = await client.createDeployment(name, options.modelUri);
        expect(created.name).toBe(name);
        expect(created.flavor).toBeTruthy();
        expect(created.modelUri).toBe(options.modelUri);
        const response = await client.predict(name, options.input);
        expect(Array.isArray(response.predictions) ? response.predictions.length : 0).toBe(options.rows);
      },
      timeout,
    );

    it(
      'rejects a second create with the same name (RESOURCE_ALREADY_EXISTS)',
      async () => {
        await expectCode(client.createDeployment(name, options.modelUri), 'RESOURCE_ALREADY_EXISTS');
      },
      timeout,
    );

    it('gets and lists it', async () => {
      const got = await client.getDeployment(name);
      expect(got.name).toBe(name);
      expect(got.modelUri).toBe(options.modelUri);
      const listed = await client.listDeployments();
      expect(listed.map((deployment) => deployment.name)).toContain(name);
      for (const deployment of listed) expect(typeof deployment.name).toBe('string');
    });

    it('reports a missing deployment as RESOURCE_DOES_NOT_EXIST', async () => {
      await expectCode(client.getDeployment(`${name}-missing`), 'RESOURCE_DOES_NOT_EXIST');
    });

    it(
      'updates the model and keeps serving',
      async () => {
        const updated = await client.updateDeployment(name, { modelUri: options.updateModelUri });
        expect(updated.name).toBe(name);
        expect(updated.modelUri).toBe(options.updateModelUri);
        expect((await client.getDeployment(name)).modelUri).toBe(options.updateModelUri);
        const response = await client.predict(name, options.input);
        expect(Array.isArray(response.predictions)).toBe(true);
      },
      timeout,
    );

    it.runIf(options.brokenModelUri !== undefined)(
      'keeps the old model when an update to a broken model fails',
      async () => {
        const error = await client
          .updateDeployment(name, { modelUri: options.brokenModelUri })
          .catch((e: unknown) => e);
        expect(BerthError.isInstance(error)).toBe(true);
        expect((error as Error).message.length).toBeGreaterThan(20);
        expect((await client.getDeployment(name)).modelUri).toBe(options.updateModelUri);
        const response = await client.predict(name, options.input);
        expect(Array.isArray(response.predictions)).toBe(true);
      },
      timeout,
    );

    it(
      'deletes it, idempotently',
      async () => {
        await client.deleteDeployment(name);
        await expectCode(client.getDeployment(name), 'RESOURCE_DOES_NOT_EXIST');
        expect((await client.listDeployments()).map((deployment) => deployment.name)).not.toContain(name);
        await client.deleteDeployment(name);
      },
      timeout,
    );
  });
}
