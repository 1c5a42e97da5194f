import { join } from 'node:path';
import { BerthError } from '@berth/core';
import { afterAll, describe, expect, it } from 'vitest';
import { irisModel, openTestClient, repositoryRoot } from './helpers.js';

const jsModel = join(repositoryRoot, 'examples/models/js-linear');
const { client, cleanup } = openTestClient();

afterAll(() => cleanup('js-off', 'iris-js'));

describe('js flavor without allow_code', () => {
  it('create is refused as PERMISSION_DENIED before a server start, naming the config key', async () => {
    const error = await client.createDeployment('js-off', jsModel).catch((e: BerthError) => e);
    expect(BerthError.isInstance(error)).toBe(true);
    expect((error as BerthError).code).toBe('PERMISSION_DENIED');
    expect((error as BerthError).suggestions.join(' ')).toContain('allow_code=true');
    // The target's own refusal (from the model's MLmodel), not the server's after a full process start.
    expect((error as BerthError).message).toMatch(/would run model code/);
    await expect(client.getDeployment('js-off')).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  }, 60_000);

  it('update to a js model is refused and the old model keeps serving', async () => {
    await client.createDeployment('iris-js', irisModel);
    const error = await client.updateDeployment('iris-js', { modelUri: jsModel }).catch((e: BerthError) => e);
    expect((error as BerthError).code).toBe('PERMISSION_DENIED');
    const deployment = await client.getDeployment('iris-js');
    expect(deployment.version).toBe(1);
    expect(deployment.flavor).toBe('onnx');
    expect(deployment.state).toBe('ready');
  }, 120_000);

  it('with allow_code=true the js model is served', async () => {
    await client.createDeployment('js-off', jsModel, { config: { allow_code: true } });
    const answer = await client.predict('js-off', { dataframe_split: { columns: ['x1', 'x2'], data: [[1, 2]] } });
    expect(answer.toJSON()).toHaveProperty('predictions');
    await client.deleteDeployment('js-off');
  }, 120_000);
});
