import { describeTarget } from '../src/index.js';
import { brokenModel, linearA, linearB, memoryPackageDir, notNumbers, twoRows } from './fixtures/memory-paths.js';
import * as memory from './fixtures/memory-target/index.js';

// A conforming target passes every contract point it declares (the broken variants are in
// broken-targets.test.ts).
describeTarget(() => new memory.MemoryDeploymentClient('memory'), {
  module: memory,
  packageDir: memoryPackageDir,
  capabilities: { predictStream: true, endpoints: true, runLocal: false },
  models: { default: linearA, update: linearB, broken: brokenModel },
  inputs: { valid: twoRows, rows: 2, invalid: notNumbers },
  endpointConfig: (deployments) => ({ traffic: { [deployments[0] as string]: 100 } }),
  states: ['ready'],
  timeoutMs: 10_000,
});
