import { join } from 'node:path';
import { BerthError } from '@berth/core';
import { describeTarget } from '@berth/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import * as local from '../dist/index.js';
import { LocalDeploymentClient } from '../dist/index.js';
import {
  copyOfIris,
  destroyStateDirectory,
  irisColumns,
  irisInput,
  irisModel,
  packageDirectory,
  temporaryStateDirectory,
  unloadableModel,
} from './helpers.js';

const state = temporaryStateDirectory();
const suiteState = temporaryStateDirectory();
const models = temporaryStateDirectory('berth-models-');
const client = new LocalDeploymentClient(`local:${state}`);

afterAll(async () => {
  await client.close();
  destroyStateDirectory(state);
  destroyStateDirectory(suiteState);
  destroyStateDirectory(models);
});

// The conformance suite every target runs; the suite closes its client when done.
describeTarget(() => new LocalDeploymentClient(`local:${suiteState}`), {
  module: local,
  packageDir: packageDirectory,
  capabilities: { predictStream: true, explain: true, endpoints: true },
  models: {
    default: irisModel,
    update: copyOfIris(models, 'iris-b'),
    broken: unloadableModel(models, 'broken'),
  },
  inputs: {
    valid: irisInput,
    rows: 3,
    invalid: { dataframe_split: { columns: irisColumns, data: [['a', 'b', 'c', 'd']] } },
  },
  endpointConfig: (deployments) => ({ traffic: { [deployments[0] as string]: 100 } }),
  states: ['ready', 'starting', 'unhealthy', 'crashed'],
});

describe('local create failures', () => {
  it('rejects a missing model or flavor, keeps no state and no process', async () => {
    const missing = await client.createDeployment('nope', join(models, 'does-not-exist')).catch((e: BerthError) => e);
    expect(BerthError.isInstance(missing)).toBe(true);
    const badFlavor = await client
      .createDeployment('nope', irisModel, { flavor: 'sklearn' })
      .catch((e: BerthError) => e);
    expect((badFlavor as BerthError).code).toBe('INVALID_PARAMETER_VALUE');
    expect((badFlavor as BerthError).message).toMatch(/sklearn/);
    await expect(client.getDeployment('nope')).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  }, 60_000);

  it('explains a model that does not load with the tail of its log, and removes the record', async () => {
    const error = await client
      .createDeployment('broken', unloadableModel(models, 'broken-create'))
      .catch((e: BerthError) => e);
    expect((error as BerthError).message).toMatch(/did not become ready[\s\S]*log tail/);
    expect((await client.listDeployments()).map((d) => d.name)).not.toContain('broken');
  }, 60_000);

  it('streams a large batch in chunks and explains rows with attributions that add up', async () => {
    await client.createDeployment('stream', irisModel);
    try {
      const rows = Array.from({ length: 250 }, (_, i) => [4 + (i % 40) / 10, 3, 1 + (i % 60) / 10, (i % 25) / 10]);
      const chunks: unknown[][] = [];
      for await (const chunk of client.predictStream(
        'stream',
        { dataframe_split: { columns: irisColumns, data: rows } },
        { chunkSize: 100 },
      )) {
        chunks.push(chunk.predictions as unknown[]);
      }
      expect(chunks.map((c) => c.length)).toEqual([100, 100, 50]);
      const explanation = await client.explain('stream', irisInput);
      expect(explanation.columns).toEqual(irisColumns);
      expect(explanation.attributions).toHaveLength(3);
      explanation.attributions.forEach((row, i) => {
        const sum = row.reduce((a, b) => a + b, 0);
        expect(sum).toBeCloseTo((explanation.prediction[i] ?? 0) - (explanation.baseValue[i] ?? 0), 5);
      });
      // setosa-like vs virginica-like rows are told apart by the petal features
      expect(new Set(explanation.predictedClass).size).toBeGreaterThan(1);
      const single = await client.explain('stream', {
        dataframe_split: { columns: irisColumns, data: [[5.1, 3.5, 1.4, 0.2]] },
      });
      expect(single.attributions[0]?.some((value) => Math.abs(value) > 1e-3)).toBe(true);
    } finally {
      await client.deleteDeployment('stream');
    }
  }, 90_000);
});
