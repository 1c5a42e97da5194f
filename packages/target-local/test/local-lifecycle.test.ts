import { afterAll } from 'vitest';
import { LocalDeploymentClient } from '../dist/index.js';
import {
  copyOfIris,
  destroyStateDirectory,
  irisInput,
  irisModel,
  temporaryStateDirectory,
  unloadableModel,
} from './helpers.js';
import { describeTargetLifecycle } from './lifecycle-suite.js';

const state = temporaryStateDirectory();
const models = temporaryStateDirectory('berth-models-');
const client = new LocalDeploymentClient(`local:${state}`);

afterAll(async () => {
  await client.close();
  destroyStateDirectory(state);
  destroyStateDirectory(models);
});

describeTargetLifecycle('local', () => client, {
  modelUri: irisModel,
  updateModelUri: copyOfIris(models, 'iris-b'),
  brokenModelUri: unloadableModel(models, 'broken'),
  input: irisInput,
  rows: 3,
});
