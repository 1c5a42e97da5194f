#!/usr/bin/env node
// Start-up time of the berth CLI against a bare `node -e 0`, measured side by side with the
// variables that change Node's start work unset on both sides (see ../start-time.mjs).
// Usage: node bench/cli-start/index.mjs [--runs 21] [--callgrind 3] [--cwd DIR]
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { measure, report } from '../start-time.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '21' },
    warmup: { type: 'string', default: '3' },
    callgrind: { type: 'string', default: '0' },
    cwd: { type: 'string', default: join(root, 'test') },
    bin: { type: 'string', default: join(root, 'packages/cli/bin/berth.cjs') },
  },
});
const built = join(root, 'packages/cli/dist/help.json');
if (!existsSync(built)) {
  console.error(
    `${built} does not exist; build the cli first (npx -y pnpm@12.4.2 turbo run build --filter=@berth/cli).`,
  );
  process.exit(1);
}

const rows = measure(
  [
    { label: 'node -e 0', args: ['-e', '0'] },
    { label: 'berth --help', args: [values.bin, '--help'], budget: 1.5 },
    { label: 'berth targets', args: [values.bin, 'targets'], budget: 2 },
    { label: 'berth help -t local', args: [values.bin, 'help', '-t', 'local'] },
  ],
  { runs: Number(values.runs), warmup: Number(values.warmup), callgrind: Number(values.callgrind), cwd: values.cwd },
);
process.exitCode = report(rows, { title: `bench/cli-start, ${values.runs} interleaved runs, cwd ${values.cwd}` })
  ? 1
  : 0;
