#!/usr/bin/env node
// Serving bench: @berth/scoring-server against a bare node:http + onnxruntime-node baseline on the
// same iris model and payloads, measured in the same run, printed as ratios. Everything runs on
// 127.0.0.1 and every phase is bounded in time. Build first: `pnpm turbo run build --filter=@berth/scoring-server`.
//   node bench/serving/index.mjs [--duration 3] [--rounds 3] [--json]
import { execFile, execFileSync, fork, spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createBaseline } from './baseline-server.mjs';

const root = path.resolve(import.meta.dirname, '../..');
const model = path.join(root, 'examples/models/iris');
const bin = path.join(root, 'packages/scoring-server/dist/bin.js');
const autocannon = createRequire(path.join(root, 'packages/scoring-server/package.json'))('autocannon');
const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
    load: { type: 'string', default: 'auto' },
  },
});
const duration = Number(flags.duration);
const COLUMNS = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];

function irisRows(count, seed = 1) {
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  return Array.from({ length: count }, () => [
    Math.round((4.3 + next() * 3.6) * 10) / 10,
    Math.round((2 + next() * 2.4) * 10) / 10,
    Math.round((1 + next() * 5.9) * 10) / 10,
    Math.round((0.1 + next() * 2.4) * 10) / 10,
  ]);
}
const splitBody = (rows) => JSON.stringify({ dataframe_split: { columns: COLUMNS, data: rows } });

/** CPU time (user + system, ms) a child process has used, from /proc (Linux); undefined elsewhere. */
function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

const children = new Set();
let wrkScript;
function cleanup() {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  if (wrkScript) rmSync(wrkScript, { force: true });
}
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

async function startBaseline() {
  const child = fork(path.join(import.meta.dirname, 'baseline-server.mjs'), [model], { stdio: 'inherit' });
  children.add(child);
  const { port } = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`baseline exited ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, pid: child.pid, stop: () => stop(child) };
}

async function startBerth(extra) {
  const directory = await mkdtemp(path.join(tmpdir(), 'berth-bench-'));
  const readyFile = path.join(directory, 'ready.json');
  const child = spawn(
    process.execPath,
    [bin, '--model-uri', model, '--port', '0', '--log-level', 'warn', '--ready-file', readyFile, ...extra],
    { stdio: 'inherit' },
  );
  children.add(child);
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const ready = JSON.parse(await readFile(readyFile, 'utf8'));
      return {
        url: ready.url,
        pid: child.pid,
        stop: async () => {
          await stop(child);
          await rm(directory, { recursive: true, force: true });
        },
      };
    } catch {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error('berth-scoring-server did not start');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

function stop(child) {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 });
function post(url, body) {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/invocations`,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () =>
          response.statusCode === 200
            ? resolve(Buffer.concat(chunks))
            : reject(new Error(`HTTP ${response.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

/** Sequential requests on one keep-alive connection with µs timing (autocannon rounds to ms). */
async function latencyC1(url, body, seconds) {
  const warmEnd = Date.now() + 500;
  while (Date.now() < warmEnd) await post(url, body);
  const samples = [];
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end && samples.length < 200_000) {
    const start = process.hrtime.bigint();
    await post(url, body);
    samples.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  samples.sort((a, b) => a - b);
  return { p50: quantile(samples, 0.5), p99: quantile(samples, 0.99), count: samples.length };
}

/** wrk (C, one thread) when installed: it spends a fraction of autocannon's CPU per request, so on
 * two cores the servers, not the load generator, set the pace. autocannon otherwise. */
function hasWrk() {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    return error.status !== undefined && error.code !== 'ENOENT'; // wrk --version exits 1
  }
}
const loadGenerator = flags.load === 'auto' ? (hasWrk() ? 'wrk' : 'autocannon') : flags.load;

function wrkLoad(url, body, connections, seconds) {
  wrkScript ??= path.join(tmpdir(), `berth-bench-${process.pid}.lua`);
  writeFileSync(
    wrkScript,
    `wrk.method = "POST"\nwrk.headers["content-type"] = "application/json"\nwrk.body = ${JSON.stringify(body)}\n`,
  );
  return new Promise((resolve, reject) => {
    execFile(
      'wrk',
      ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', wrkScript, `${url}/invocations`],
      { timeout: (seconds + 30) * 1000 },
      (error, stdout) => {
        if (error) return reject(error);
        const number = (pattern) => Number(stdout.match(pattern)?.[1] ?? 0);
        const total = number(/(\d+) requests in/);
        const socketErrors = stdout.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
        resolve({
          total,
          rps: number(/Requests\/sec:\s+([\d.]+)/),
          errors:
            number(/Non-2xx or 3xx responses: (\d+)/) +
            (socketErrors ? socketErrors.slice(1).reduce((sum, value) => sum + Number(value), 0) : 0),
          p99ms: (() => {
            const match = stdout.match(/99%\s+([\d.]+)(us|ms|s)/);
            if (!match) return undefined;
            return Number(match[1]) * { us: 0.001, ms: 1, s: 1000 }[match[2]];
          })(),
        });
      },
    );
  });
}

async function autocannonLoad(url, body, connections, seconds) {
  const result = await autocannon({
    url: `${url}/invocations`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections,
    duration: seconds,
  });
  return {
    total: result.requests.total,
    rps: result.requests.average,
    errors: result.errors + result.non2xx,
    p99ms: result.latency.p99,
  };
}

async function throughput(server, body, connections, seconds) {
  const cpuBefore = cpuMs(server.pid);
  const result = await (loadGenerator === 'wrk' ? wrkLoad : autocannonLoad)(server.url, body, connections, seconds);
  const cpuAfter = cpuMs(server.pid);
  const cpuUsPerRequest =
    cpuBefore === undefined || cpuAfter === undefined ? undefined : ((cpuAfter - cpuBefore) * 1000) / result.total;
  return { rps: result.rps, errors: result.errors, p99ms: result.p99ms, cpuUsPerRequest };
}

async function bigRequest(url, body, repetitions) {
  await post(url, body);
  const times = [];
  for (let index = 0; index < repetitions; index++) {
    const start = process.hrtime.bigint();
    await post(url, body);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

async function inProcess(body, repetitions) {
  const score = await createBaseline(model);
  await score(body);
  const times = [];
  for (let index = 0; index < repetitions; index++) {
    const start = process.hrtime.bigint();
    await score(body);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const small = splitBody(irisRows(1));
const large = splitBody(irisRows(100_000));
const results = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  cpu: cpus()[0]?.model,
  loadGenerator,
};
const fmt = (value, digits = 1) => (value === undefined ? 'n/a' : Number(value).toFixed(digits));
const rounds = Number(flags.rounds);

console.error(
  `serving bench: ${rounds} interleaved rounds of ${duration}s phases, ${results.cpus} cpus (${results.cpu}), node ${results.node}, c=32 load from ${loadGenerator}`,
);

// All servers up at once (idle ones cost nothing); phases alternate between them round by round,
// so a load spike from elsewhere on the machine hits both sides of a ratio alike.
const baseline = await startBaseline();
const berth = await startBerth([]);
const berthBatching = await startBerth(['--max-batch-size', '64', '--max-batch-delay-ms', '1']);
// Reported, not a goal: the --processes option (node:cluster) on the same load, batching off.
const berthProcesses = await startBerth(['--processes', '2']);
try {
  // Steady state is what is compared: every server gets the same load once before round 1, so no
  // measured phase includes a server's JIT warm-up.
  for (const server of [baseline, berth, berthBatching, berthProcesses]) await throughput(server, small, 32, 2);
  const c1 = { baseline: [], berth: [] };
  const c32 = { baseline: [], berth: [], berthBatching: [], berthProcesses: [] };
  const rows100k = { baseline: [], berth: [] };
  for (let round = 0; round < rounds; round++) {
    c1.baseline.push(await latencyC1(baseline.url, small, duration));
    c1.berth.push(await latencyC1(berth.url, small, duration));
    c32.baseline.push(await throughput(baseline, small, 32, duration));
    c32.berth.push(await throughput(berth, small, 32, duration));
    c32.berthBatching.push(await throughput(berthBatching, small, 32, duration));
    c32.berthProcesses.push(await throughput(berthProcesses, small, 32, duration));
    rows100k.baseline.push(await inProcess(large, 3));
    rows100k.berth.push(await bigRequest(berth.url, large, 3));
  }
  const pick = (list, key) => median(list.map((item) => item[key]));
  results.c1 = {
    baseline: { p50: pick(c1.baseline, 'p50'), p99: pick(c1.baseline, 'p99') },
    berth: { p50: pick(c1.berth, 'p50'), p99: pick(c1.berth, 'p99') },
  };
  results.c32 = Object.fromEntries(
    Object.entries(c32).map(([name, list]) => [
      name,
      {
        rps: pick(list, 'rps'),
        cpuUsPerRequest: pick(list, 'cpuUsPerRequest'),
        errors: list.reduce((sum, item) => sum + item.errors, 0),
      },
    ]),
  );
  // /proc of the primary does not count its cluster workers' CPU: no per-request CPU for this one.
  results.c32.berthProcesses.cpuUsPerRequest = undefined;
  results.rows100k = {
    bodyBytes: Buffer.byteLength(large),
    baselineMs: median(rows100k.baseline),
    berthMs: median(rows100k.berth),
  };
  // Ratios per round, then their median: robust to a busy machine.
  const perRound = (numerator, denominator) => median(numerator.map((value, index) => value / denominator[index]));
  results.roundRatios = {
    c1p50: perRound(
      c1.berth.map((item) => item.p50),
      c1.baseline.map((item) => item.p50),
    ),
    c32: perRound(
      c32.berth.map((item) => item.rps),
      c32.baseline.map((item) => item.rps),
    ),
    c32Batching: perRound(
      c32.berthBatching.map((item) => item.rps),
      c32.baseline.map((item) => item.rps),
    ),
    rows100k: perRound(rows100k.berth, rows100k.baseline),
  };
} finally {
  await Promise.all([baseline.stop(), berth.stop(), berthBatching.stop(), berthProcesses.stop()]);
}

const ratios = {
  c1p50: results.c1.berth.p50 / results.c1.baseline.p50,
  c1p99: results.c1.berth.p99 / results.c1.baseline.p99,
  c32: results.c32.berth.rps / results.c32.baseline.rps,
  c32Batching: results.c32.berthBatching.rps / results.c32.baseline.rps,
  c32Processes: results.c32.berthProcesses.rps / results.c32.baseline.rps,
  rows100k: results.rows100k.berthMs / results.rows100k.baselineMs,
};
results.ratios = ratios;

if (flags.json) console.log(JSON.stringify(results, null, 2));
else {
  const line = (name, baselineValue, berthValue, ratio, goal) =>
    console.log(
      `${name.padEnd(34)} ${baselineValue.padStart(10)} ${berthValue.padStart(10)} ${fmt(ratio, 2).padStart(7)}x  ${goal}`,
    );
  const { c1, c32, rows100k, roundRatios } = results;
  console.log(
    `${'metric (median of rounds)'.padEnd(34)} ${'baseline'.padStart(10)} ${'berth'.padStart(10)} ${'ratio'.padStart(8)}  goal`,
  );
  line('c=1 p50 latency (µs)', fmt(c1.baseline.p50), fmt(c1.berth.p50), ratios.c1p50, '<= 1.25');
  line('c=1 p99 latency (µs)', fmt(c1.baseline.p99), fmt(c1.berth.p99), ratios.c1p99, '(reported)');
  // The c=32 rows: requests per second against the baseline, then server CPU per request.
  const c32Rows = [
    ['batching off', c32.berth, '>= 0.9'],
    ['batching on', c32.berthBatching, '>= 1.5'],
    ['off, --processes 2', c32.berthProcesses, '(reported)'],
  ];
  for (const [label, server, goal] of c32Rows) {
    line(`c=32 req/s, ${label}`, fmt(c32.baseline.rps, 0), fmt(server.rps, 0), server.rps / c32.baseline.rps, goal);
  }
  line('100k-row request (ms)', fmt(rows100k.baselineMs), fmt(rows100k.berthMs), ratios.rows100k, '<= 1.5');
  // No CPU row for --processes: /proc of the primary does not count its workers.
  for (const [label, server] of c32Rows.slice(0, 2)) {
    const cpu = server.cpuUsPerRequest;
    const base = c32.baseline.cpuUsPerRequest;
    line(`c=32 server CPU µs/req, ${label.split(' ')[1]}`, fmt(base, 0), fmt(cpu, 0), cpu / base, '(lower is better)');
  }
  console.log(
    `median of per-round ratios: c=1 p50 ${fmt(roundRatios.c1p50, 2)}x, c=32 off ${fmt(roundRatios.c32, 2)}x, c=32 on ${fmt(roundRatios.c32Batching, 2)}x, 100k ${fmt(roundRatios.rows100k, 2)}x`,
  );
  console.log(
    `errors during load: ${c32.baseline.errors + c32.berth.errors + c32.berthBatching.errors + c32.berthProcesses.errors}`,
  );
}
cleanup();
process.exit(0);
