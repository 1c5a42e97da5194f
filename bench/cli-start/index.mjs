#!/usr/bin/env node
// Start-up time of the berth CLI against a bare `node -e 0`, measured side by side.
// Runs are interleaved (baseline, --help, targets, baseline, …) so machine load hits all three
// alike; the report is medians and ratios. Usage: node bench/cli-start/index.mjs [--runs 21] [--cwd DIR]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '21' },
    warmup: { type: 'string', default: '3' },
    cwd: { type: 'string', default: join(root, 'test') },
    bin: { type: 'string', default: join(root, 'packages/cli/dist/index.js') },
  },
});
const runs = Number(values.runs);
const warmup = Number(values.warmup);
if (!existsSync(values.bin)) {
  console.error(`${values.bin} does not exist; build the cli first (pnpm turbo run build --filter=@berth/cli).`);
  process.exit(1);
}

const cases = [
  { label: 'node -e 0', args: ['-e', '0'] },
  { label: 'berth --help', args: [values.bin, '--help'], budget: 1.5 },
  { label: 'berth targets', args: [values.bin, 'targets'], budget: 2 },
];

function timeOnce(args) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { cwd: values.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) {
    throw new Error(`${args.join(' ')} exited with ${result.status}: ${result.stderr.toString()}`);
  }
  return elapsed;
}

const median = (numbers) => {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

for (let i = 0; i < warmup; i++) for (const item of cases) timeOnce(item.args);
const samples = cases.map(() => []);
for (let i = 0; i < runs; i++) {
  cases.forEach((item, index) => {
    samples[index].push(timeOnce(item.args));
  });
}

const baseline = median(samples[0]);
console.log(`node ${process.version}, ${runs} interleaved runs each, cwd ${values.cwd}`);
console.log('case            median ms   min ms   ratio   budget');
let failed = false;
cases.forEach((item, index) => {
  const value = median(samples[index]);
  const ratio = value / baseline;
  const verdict = item.budget === undefined ? '' : `≤ ${item.budget}× ${ratio <= item.budget ? 'ok' : 'OVER'}`;
  if (item.budget !== undefined && ratio > item.budget) failed = true;
  console.log(
    `${item.label.padEnd(15)} ${value.toFixed(1).padStart(9)} ${Math.min(...samples[index])
      .toFixed(1)
      .padStart(8)} ${ratio.toFixed(2).padStart(6)}×   ${verdict}`,
  );
});
process.exitCode = failed ? 1 : 0;
