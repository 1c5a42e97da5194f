#!/usr/bin/env node
// The README's main job: deploy the bundled iris model to the local target, query it, list it.
// Every step runs the real `berth` CLI and echoes the command, so it doubles as a tour.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const berthBin = join(root, 'packages/cli/bin/berth.cjs');
const model = 'examples/models/iris';
const input = join(model, 'serving_input_example.json');
const name = process.env.BERTH_DEMO_NAME ?? 'iris';

if (!existsSync(berthBin)) {
  console.error('The CLI is not built yet: run `npx -y pnpm@12.4.2 install && npx -y pnpm@12.4.2 build` first.');
  process.exit(1);
}

function berth(args, { allowFailure = false } = {}) {
  console.log(`\n$ berth ${args.join(' ')}`);
  const result = spawnSync(process.execPath, [berthBin, ...args], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0 && !allowFailure) {
    console.error(`\nThe step above failed (exit ${result.status}). Re-run it with BERTH_DEBUG=1 for details.`);
    process.exit(result.status ?? 1);
  }
  return result.status;
}

function exists() {
  const result = spawnSync(process.execPath, [berthBin, 'get', '-t', 'local', '--name', name, '--json'], {
    cwd: root,
    stdio: 'ignore',
  });
  return result.status === 0;
}

console.log(`Berth quickstart — state lives in ${process.env.BERTH_HOME ?? '~/.berth'} (set BERTH_HOME to move it).`);
if (exists()) {
  // A second run shows the safe update path instead of failing on the taken name.
  berth(['update', '-t', 'local', '--name', name, '-m', model]);
} else {
  berth(['create', '-t', 'local', '--name', name, '-m', model]);
}
berth(['predict', '-t', 'local', '--name', name, '-I', relative(root, input)]);
berth(['list', '-t', 'local']);

console.log(`
The deployment keeps serving after this script exits. Next steps:
  npx -y pnpm@12.4.2 berth get -t local --name ${name}        # url, pid, health, version
  curl -s -H 'Content-Type: application/json' -d @${input} <url>/invocations
  npx -y pnpm@12.4.2 berth delete -t local --name ${name}     # stop it and remove its state`);
