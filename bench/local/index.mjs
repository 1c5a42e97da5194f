#!/usr/bin/env node
// The local target's two budgets, measured side by side on this machine:
//   1. create → ready for the bundled iris model (goal ≤ 1.5 s): LocalDeploymentClient.createDeployment
//      in-process (returns only after /ping and a real inference passed), and `berth create -t local`
//      wall time (includes the CLI's own start);
//   2. `berth list -t local` wall time against `node -e 0` (goal ≤ 2.5×), with 3 live deployments.
// Runs are interleaved so machine load hits every case alike; the report is medians and ratios.
// Both sides of the list ratio run with the variables that change Node's start work unset
// (NODE_EXTRA_CA_CERTS, NODE_OPTIONS, …; see ../start-time.mjs).
// Usage: node bench/local/index.mjs [--runs 7] [--list-runs 21] [--callgrind 3]   (build first)
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { measure, report, scrubbedEnvironment, timeNode } from '../start-time.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '7' },
    'list-runs': { type: 'string', default: '21' },
    callgrind: { type: 'string', default: '0' },
  },
});
const cli = join(root, 'packages/cli/bin/berth.cjs');
const entry = join(root, 'packages/target-local/dist/index.js');
const iris = join(root, 'examples/models/iris');
for (const file of [cli, entry]) {
  if (!existsSync(file)) {
    console.error(`${file} does not exist; run 'npx -y pnpm@12.4.2 turbo run build' first.`);
    process.exit(1);
  }
}

const state = mkdtempSync(join(tmpdir(), 'berth-bench-local-'));
const env = scrubbedEnvironment({ BERTH_HOME: state });
const { LocalDeploymentClient } = await import(entry);
const client = new LocalDeploymentClient(`local:${state}`);

const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const ms = (x) => `${x.toFixed(0)} ms`;
const timeCommand = (args) => timeNode(args, { cwd: root, env });

try {
  // 1. create → ready
  const api = [];
  const viaCli = [];
  for (let i = 0; i < Number(values.runs); i++) {
    let start = performance.now();
    await client.createDeployment('bench-api', iris);
    api.push(performance.now() - start);
    await client.deleteDeployment('bench-api');
    start = performance.now();
    timeCommand([cli, 'create', '-t', 'local', '--name', 'bench-cli', '-m', iris]);
    viaCli.push(performance.now() - start);
    await client.deleteDeployment('bench-cli');
  }

  // 2. list against node -e 0, with 3 live deployments to health-check
  for (const name of ['l1', 'l2', 'l3']) await client.createDeployment(name, iris);
  const rows = measure(
    [
      { label: 'node -e 0', args: ['-e', '0'] },
      { label: 'berth list -t local (3 live)', args: [cli, 'list', '-t', 'local'], budget: 2.5 },
    ],
    { runs: Number(values['list-runs']), warmup: 3, callgrind: Number(values.callgrind), cwd: root, env },
  );

  console.log(`local target bench — ${values.runs} create runs (medians)`);
  console.log(
    `create → ready (API, iris)       ${ms(median(api)).padStart(8)}  goal ≤ 1500 ms: ${median(api) <= 1500 ? 'met' : 'missed'}`,
  );
  console.log(`berth create -t local (wall)     ${ms(median(viaCli)).padStart(8)}`);
  console.log(`create (API) runs: ${api.map(ms).join(', ')}`);
  process.exitCode = report(rows, { title: `bench/local list, ${values['list-runs']} interleaved runs` }) ? 1 : 0;
} finally {
  for (const deployment of await client.listDeployments()) await client.deleteDeployment(deployment.name);
  await client.close();
  rmSync(state, { recursive: true, force: true });
}
