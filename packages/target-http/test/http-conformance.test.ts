import { describeTarget } from '@berth/testkit';
import { afterAll } from 'vitest';
import * as http from '../dist/index.js';
import {
  type BerthServerProcess,
  brokenModel,
  copyOfIris,
  irisColumns,
  irisInput,
  irisModel,
  packageDirectory,
  removeTemporaryDirectories,
  startBerthServer,
  TOKEN,
} from './berth-server-process.js';

let server: BerthServerProcess | undefined;

afterAll(async () => {
  await server?.stop();
  removeTemporaryDirectories();
}, 60_000);

// The conformance suite every target runs, here over HTTP: a real `berth serve -t local:<dir>`
// started for it, and the http target's client in front. What passes locally must pass through it.
describeTarget(
  async () => {
    server = await startBerthServer();
    return new http.HttpDeploymentClient(server.url, { environment: { ...process.env, BERTH_TOKEN: TOKEN } });
  },
  {
    module: http,
    packageDir: packageDirectory,
    capabilities: { predictStream: true, explain: true, endpoints: true },
    // -C keys other than `server` belong to the served target, which checks them there.
    configPassThrough: true,
    models: { default: irisModel, update: copyOfIris('iris-b'), broken: brokenModel() },
    inputs: {
      valid: irisInput,
      rows: 3,
      invalid: { dataframe_split: { columns: irisColumns, data: [['a', 'b', 'c', 'd']] } },
    },
    endpointConfig: (deployments) => ({ traffic: { [deployments[0] as string]: 100 } }),
    states: ['ready', 'starting', 'unhealthy', 'crashed'],
    prefix: 'http-kit',
    timeoutMs: 150_000,
  },
);
