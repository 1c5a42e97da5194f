#!/usr/bin/env node
// The local target's two budgets, measured side by side on this machine:
//   1. create → ready for the bundled iris model (goal ≤ 1.5 s): LocalDeploymentClient.createDeployment
//      in-process (returns only after /ping and a real inference passed), and `berth create -t local`
//      wall time (includes the CLI's own start);
//   2. `berth list -t local` wall time against `node -e 0` (goal ≤ 2.5×), with 3 live deployments.
// Runs are interleaved so machine load hits every case alike; the report is medians and ratios.
// Usage: node bench/local/index.mjs [--runs 7] [--list-runs 21]   (build first: pnpm turbo run build)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({
  options: { runs: { type: 'string', default: '7' }, 'list-runs': { type: 'string', default: '21' } },
});
const cli = join(root, 'packages/cli/dist/index.js');
const entry = join(root, 'packages/target-local/dist/index.js');
const iris = join(root, 'examples/models/iris');
for (const file of [cli, entry]) {
  if (!existsSync(file)) {
    console.error(`${file} does not exist; run 'npx -y pnpm@12.4.2 turbo run build' first.`);
    process.exit(1);
  }
}

const state = mkdtempSync(join(tmpdir(), 'berth-bench-local-'));
const env = { ...process.env, BERTH_HOME: state };
const { LocalDeploymentClient } = await import(entry);
const client = new LocalDeploymentClient(`local:${state}`);

const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const ms = (x) => `${x.toFixed(0)} ms`;

function timeCommand(args) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return elapsed;
}

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
  const baseline = [];
  const list = [];
  for (let i = 0; i < 3; i++) timeCommand([cli, 'list', '-t', 'local']); // warm the file cache
  for (let i = 0; i < Number(values['list-runs']); i++) {
    baseline.push(timeCommand(['-e', '0']));
    list.push(timeCommand([cli, 'list', '-t', 'local']));
  }

  const rows = [
    ['create → ready (API, iris)', median(api), `goal ≤ 1500 ms: ${median(api) <= 1500 ? 'met' : 'missed'}`],
    ['berth create -t local (wall)', median(viaCli), ''],
    ['node -e 0', median(baseline), 'baseline'],
    [
      'berth list -t local (3 live)',
      median(list),
      `${(median(list) / median(baseline)).toFixed(2)}× node -e 0 (goal ≤ 2.5×: ${median(list) / median(baseline) <= 2.5 ? 'met' : 'missed'})`,
    ],
  ];
  console.log(`local target bench — ${values.runs} create runs, ${values['list-runs']} list runs (medians)`);
  for (const [label, value, note] of rows) console.log(`${label.padEnd(32)} ${ms(value).padStart(8)}  ${note}`);
  console.log(`create (API) runs: ${api.map(ms).join(', ')}`);
} finally {
  for (const deployment of await client.listDeployments()) await client.deleteDeployment(deployment.name);
  await client.close();
  rmSync(state, { recursive: true, force: true });
}
