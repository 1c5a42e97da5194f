#!/usr/bin/env node
// `berth predict -t http://…` (through a Berth server) against the same prediction with `-t local`,
// wall time of the whole command, measured side by side on one deployment:
//   berth serve -t local:<state> runs in the background; the deployment lives in <state>; the local
//   case reads that state directly, the http cases go through the server (with ?server=berth, and
//   with the one detection request of the default auto mode).
// Runs are interleaved (baseline, local, http, http-auto, …) so machine load hits every case alike;
// NODE_EXTRA_CA_CERTS is unset for every child (it costs ~40 ms per node start here, which would
// shrink every ratio). Goal (issue 9): http ≤ 1.2× local.
// Usage: node bench/http/index.mjs [--runs 21] [--warmup 3]   (build first: pnpm turbo run build)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({
  options: { runs: { type: 'string', default: '21' }, warmup: { type: 'string', default: '3' } },
});
const runs = Number(values.runs);
const warmup = Number(values.warmup);
const cli = join(root, 'packages/cli/bin/berth.cjs');
// A project where both targets are found: the http package declares itself, the workspace root local.
const cwd = join(root, 'packages/target-http');
for (const file of [cli, join(cwd, 'dist/index.js'), join(root, 'packages/server/dist/index.js')]) {
  if (!existsSync(file)) {
    console.error(`${file} does not exist; run 'npx -y pnpm@12.4.2 turbo run build' first.`);
    process.exit(1);
  }
}

const token = 'bench-http-token-0123456789abcdef';
const state = mkdtempSync(join(tmpdir(), 'berth-bench-http-'));
const inputFile = join(state, 'input.json');
writeFileSync(
  inputFile,
  JSON.stringify({
    dataframe_split: {
      columns: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
      data: [[5.1, 3.5, 1.4, 0.2]],
    },
  }),
);
const env = { ...process.env, BERTH_TOKEN: token };
delete env.NODE_EXTRA_CA_CERTS;

function run(args) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return { elapsed, stdout: result.stdout.toString() };
}

const median = (numbers) => {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

const server = spawn(
  process.execPath,
  [cli, 'serve', '-t', `local:${state}`, '--port', '0', '--json', '--log-level', 'warn'],
  {
    cwd: root,
    env: { ...env, BERTH_SERVER_TOKEN: token },
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
try {
  const { url } = await new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error('berth serve did not start in 60 s')), 60_000);
    server.once('exit', (code) => reject(new Error(`berth serve exited (${code})`)));
    createInterface({ input: server.stdout }).once('line', (line) => {
      clearTimeout(timer);
      resolvePromise(JSON.parse(line));
    });
  });
  run([cli, 'create', '-t', `local:${state}`, '--name', 'bench', '-m', join(root, 'examples/models/iris')]);

  const predict = (target) => [cli, 'predict', '-t', target, '--name', 'bench', '-I', inputFile];
  const cases = [
    { label: 'node -e 0', args: ['-e', '0'] },
    { label: 'berth predict -t local', args: predict(`local:${state}`) },
    { label: 'berth predict -t http (server=berth)', args: predict(`${url}?server=berth`) },
    { label: 'berth predict -t http (auto)', args: predict(url) },
  ];
  const answers = cases.slice(1).map((item) => run(item.args).stdout);
  if (new Set(answers).size !== 1) throw new Error(`the three predictions differ:\n${answers.join('\n')}`);

  for (let i = 0; i < warmup; i++) for (const item of cases) run(item.args);
  const samples = cases.map(() => []);
  for (let i = 0; i < runs; i++) {
    cases.forEach((item, index) => {
      samples[index].push(run(item.args).elapsed);
    });
  }

  const local = median(samples[1]);
  console.log(`node ${process.version}, ${runs} interleaved runs each (after ${warmup} warm-up rounds), server ${url}`);
  console.log(`${'case'.padEnd(38)} median ms   min ms   vs local`);
  cases.forEach((item, index) => {
    const value = median(samples[index]);
    const ratio = index === 0 ? '' : `${(value / local).toFixed(2)}×`;
    console.log(
      `${item.label.padEnd(38)} ${value.toFixed(1).padStart(9)} ${Math.min(...samples[index])
        .toFixed(1)
        .padStart(8)}   ${ratio}`,
    );
  });
  const worst = Math.max(median(samples[2]), median(samples[3])) / local;
  console.log(
    `goal: berth predict -t http ≤ 1.2× -t local — ${worst <= 1.2 ? 'met' : 'missed'} (${worst.toFixed(2)}×)`,
  );
} finally {
  spawnSync(process.execPath, [cli, 'delete', '-t', `local:${state}`, '--name', 'bench'], {
    cwd,
    env,
    stdio: 'ignore',
  });
  if (server.exitCode === null) {
    const exited = new Promise((resolvePromise) => server.once('exit', resolvePromise));
    server.kill('SIGTERM');
    await exited;
  }
  rmSync(state, { recursive: true, force: true });
}
