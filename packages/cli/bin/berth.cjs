#!/usr/bin/env node
'use strict';
// The `berth` command. A few invocations must start about as fast as Node itself, so this file
// (CommonJS: no ESM loader) answers them from what the build wrote next to the CLI:
//   berth, berth --help, berth -h    the top-level help, from dist/help.json
//   berth --version, berth -V        the version, from dist/help.json
//   berth targets [list] [--json]    discovery only, from dist/targets.cjs
//   berth list [-t <uri>] [--json]   through the target's lean list, from dist/list.cjs, when
//                                    the target package offers one (@berth/target-local does)
// Everything else, and any of these when the fast answer does not apply, runs the full CLI
// (dist/index.js), which prints exactly the same for them.
const { join } = require('node:path');

const dist = join(__dirname, '..', 'dist');
const args = process.argv.slice(2);

/**
 * `create` and `update` stream a model directory (a SageMaker deploy packs and uploads it; 300 MB
 * and more is common). What they allocate is buffers outside V8's heap, so a young generation grown
 * while the target's modules load (V8 lets it reach 32 MB, all resident) holds nothing but still
 * counts in the process's memory. Keeping it at its initial size costs these commands no time
 * (bench/sagemaker: same upload throughput) and takes ~25 MB off their peak RSS. Set before any
 * module loads: V8 reads the growth factor each time the young generation would grow.
 */
const STREAMING_COMMANDS = new Set(['create', 'update']);

function fullCli() {
  if (STREAMING_COMMANDS.has(args[0])) require('node:v8').setFlagsFromString('--semi-space-growth-factor=1');
  return import('../dist/index.js').then((cli) => cli.main(process.argv));
}

/** dist/help.json holds the help at 80 columns: right for pipes, files and terminals that wide. */
function helpFits() {
  const out = process.stdout;
  return !out.isTTY || !(out.columns > 0 && out.columns < 80);
}

function readHelp() {
  try {
    return JSON.parse(require('node:fs').readFileSync(join(dist, 'help.json'), 'utf8'));
  } catch {
    return undefined; // not built this way: the full CLI answers
  }
}

/**
 * Where @berth/core is installed (discovery looks for targets beside it); undefined when not found.
 * The first `node_modules/@berth/core` from here up is where Node's resolution would find it;
 * only when there is none is `require.resolve` asked (NODE_PATH, global folders). Resolving a
 * package through its `exports` loads Node's ESM resolver, ≈ 8 M instructions of a start.
 */
function corePath() {
  const { existsSync, realpathSync } = require('node:fs');
  const { dirname } = require('node:path');
  for (let directory = __dirname; ; directory = dirname(directory)) {
    const candidate = join(directory, 'node_modules', '@berth', 'core');
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dirname(directory) === directory) break;
  }
  try {
    return require.resolve('@berth/core');
  } catch {
    return undefined;
  }
}

/** `list` with at most `-t`/`--target <uri>` (or `--target=<uri>`) and `--json`, each once: the options, else undefined. */
function listOptions() {
  if (args[0] !== 'list') return undefined;
  const options = {};
  for (let index = 1; index < args.length; index++) {
    const arg = args[index];
    if (arg === '--json' && options.json === undefined) options.json = true;
    else if ((arg === '-t' || arg === '--target') && options.target === undefined && index + 1 < args.length) {
      options.target = args[++index];
      if (options.target.startsWith('-')) return undefined; // commander would say what is wrong
    } else if (arg.startsWith('--target=') && options.target === undefined) options.target = arg.slice(9);
    else return undefined;
  }
  return options.target === '' ? undefined : options;
}

function answerList() {
  const options = listOptions();
  if (options === undefined) return false;
  const core = corePath();
  let listDeployments;
  try {
    ({ listDeployments } = require('../dist/list.cjs'));
  } catch {
    return false;
  }
  if (core === undefined) return false;
  // false: nothing was printed and the full CLI answers (and reports any problem) instead.
  listDeployments(options, { corePath: core }).then(
    (answered) => answered || fullCli(),
    (error) => {
      process.stderr.write(`Error: ${error?.message ?? error}\n`);
      process.exitCode = 1;
    },
  );
  return true;
}

function answerFast() {
  const [first, second, third] = args;
  if (args.length === 0 || (args.length === 1 && (first === '--help' || first === '-h'))) {
    const help = helpFits() ? readHelp() : undefined;
    if (help === undefined) return false;
    process.stdout.write(help.help);
    return true;
  }
  if (args.length === 1 && (first === '--version' || first === '-V')) {
    const help = readHelp();
    if (help === undefined) return false;
    process.stdout.write(`${help.version}\n`);
    return true;
  }
  if (first !== 'targets' || args.length > 3) return false;
  const rest = [second, third].filter((arg) => arg !== undefined);
  if (rest[0] === 'list') rest.shift();
  if (rest.length > 1 || (rest.length === 1 && rest[0] !== '--json')) return false;
  let listTargets;
  const core = corePath(); // discovery looks for targets installed beside @berth/core
  try {
    ({ listTargets } = require('../dist/targets.cjs'));
  } catch {
    return false;
  }
  if (core === undefined) return false;
  // A failure (unreadable package.json folders, …) is left to the full CLI, which reports it
  // the usual way: as text or JSON, with its exit code.
  listTargets({ json: rest.length === 1 ? true : undefined }, { corePath: core }).catch(fullCli);
  return true;
}

if (!answerFast() && !answerList()) fullCli();
