import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// bin/berth.cjs answers --help, --version and `berth targets` from what the build wrote
// (dist/help.json, dist/targets.cjs) and runs the full CLI (dist/index.js) for everything else.
// Both must print the same; and the fast answers must really skip the ESM CLI.
const BIN = fileURLToPath(new URL('../bin/berth.cjs', import.meta.url));
const FULL = fileURLToPath(new URL('../dist/index.js', import.meta.url));
// A project that declares the fixture targets, so `targets` has something to find.
const PROJECT = fileURLToPath(new URL('../../../test', import.meta.url));

let scratch: string;
let loadHook: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], nodeArgs: string[] = []): Promise<Run> {
  return new Promise((resolve) => {
    const env = { ...process.env, BERTH_HOME: scratch, BERTH_TARGET: '', MLFLOW_DEPLOYMENTS_TARGET: '' };
    execFile(
      process.execPath,
      [...nodeArgs, file, ...args],
      { cwd: PROJECT, env, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? ((error.code as number | null) ?? null) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'berth-bin-'));
  // Reports every ES module the process loads, so a test can tell which CLI answered.
  await writeFile(
    join(scratch, 'hooks.mjs'),
    "export async function load(url, context, next) { process._rawDebug('loaded ' + url); return next(url, context); }\n",
  );
  loadHook = join(scratch, 'register.mjs');
  await writeFile(
    loadHook,
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(scratch, 'hooks.mjs')).href)});\n`,
  );
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const FAST = [[], ['--help'], ['-h'], ['--version'], ['-V'], ['targets'], ['targets', 'list'], ['targets', '--json']];

describe('bin/berth.cjs', () => {
  it.each(FAST.map((args) => [args.join(' ') || '(no arguments)', args]))(
    '`berth %s` prints what the full CLI prints, without loading it',
    async (_, args) => {
      const [fast, full] = await Promise.all([run(BIN, args, ['--import', loadHook]), run(FULL, args)]);
      expect(fast.code).toBe(0);
      expect(fast.stdout).toBe(full.stdout);
      expect(fast.stdout.length).toBeGreaterThan(0);
      // With a loader hook registered, Node passes the CommonJS entry itself through it too.
      const loaded = fast.stderr.split('\n').filter((line) => line.startsWith('loaded file:'));
      expect(loaded.filter((line) => !/(hooks|register)\.mjs$|\/bin\/berth\.cjs$/.test(line))).toEqual([]);
    },
    60_000,
  );

  it('runs the full CLI for everything else, with the same output and exit code', async () => {
    for (const args of [['help', 'list'], ['targets', 'list', '--bogus'], ['nosuch'], ['list', '--help']]) {
      const [viaBin, full] = await Promise.all([run(BIN, args, ['--import', loadHook]), run(FULL, args)]);
      expect(viaBin.code, args.join(' ')).toBe(full.code);
      expect(viaBin.stdout, args.join(' ')).toBe(full.stdout);
      expect(viaBin.stderr, args.join(' ')).toContain('loaded file:');
      expect(viaBin.stderr, args.join(' ')).toContain('/dist/index.js');
    }
  }, 120_000);
});
