import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeTarget } from '@berth/testkit';
import { afterAll } from 'vitest';
import * as target from '../src/index.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const stateDirectory = mkdtempSync(join(tmpdir(), '__id__-conformance-'));

afterAll(() => rmSync(stateDirectory, { recursive: true, force: true }));

// Berth's conformance suite: one test per contract point. Declare only the capabilities that work;
// the others must answer NOT_IMPLEMENTED (the base class does that for you).
const targetUri = `__id__:${stateDirectory}`;
describeTarget(() => new target.__Pascal__DeploymentClient(targetUri), {
  module: target,
  packageDir,
  capabilities: { predictStream: __stream__, explain: __explain__, endpoints: __endpoints__ },
  models: {
    default: join(packageDir, 'examples/linear-model'),
    update: join(packageDir, 'examples/linear-model-b'),
    broken: join(packageDir, 'test/fixtures/broken-model'),
  },
  inputs: {
    valid: {
      dataframe_split: {
        columns: ['x1', 'x2'],
        data: [
          [1, 2],
          [3, 4],
        ],
      },
    },
    rows: 2,
    invalid: { dataframe_split: { columns: ['x1', 'x2'], data: [['one', 'two']] } },
  },
  // #if endpoints
  endpointConfig: (deployments) => ({ traffic: { [deployments[0] as string]: 100 } }),
  // #endif
  states: ['ready'],
});
