import { fileURLToPath } from 'node:url';
import { describeTarget } from '@berth/testkit';
import * as target from 'berth-target-ledger';

// @berth/testkit against a target nobody on the project scaffolded: test/fixtures/independent-target
// (berth-target-ledger) was written from docs/writing-a-target.md and the testkit's README alone.
// If the docs and the suite disagree, this is where it shows. test/independent-target-broken.test.ts
// runs the same suite against a copy that breaks one point.

const fixture = fileURLToPath(new URL('./fixtures/independent-target/', import.meta.url));
const model = (name: string) => `${fixture}models/${name}.json`;

describeTarget(() => new target.LedgerDeploymentClient('ledger:/conformance'), {
  module: target,
  packageDir: fixture,
  capabilities: { predictStream: false, explain: false, endpoints: false, runLocal: false },
  models: { default: model('double'), update: model('triple'), broken: model('broken') },
  inputs: {
    valid: {
      dataframe_split: {
        columns: ['a', 'b'],
        data: [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
      },
    },
    rows: 3,
    invalid: { dataframe_split: { columns: ['a', 'b'], data: [['one', 'two']] } },
  },
  states: ['ready'],
});
