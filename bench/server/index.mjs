#!/usr/bin/env node
// Server bench: MLflow's `POST /endpoints/{name}/invocations` through `berth serve -t local` against
// the same local deployment's own `/invocations`, measured in the same run with wrk, printed as
// ratios. Everything is on 127.0.0.1, each phase is bounded in time, and every process this starts
// is stopped by pid. Build first: `npx -y pnpm@12.4.2 turbo run build`; needs wrk (`apt-get install wrk`).
//   node bench/server/index.mjs [--duration 3] [--rounds 3] [--connections 32] [--json]
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const root = path.resolve(import.meta.dirname, '../..');
const cli = path.join(root, 'packages/cli/bin/berth.cjs');
const model = path.join(root, 'examples/models/iris');
const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    json: { type: 'boolean', default: false },
  },
});
const duration = Number(flags.duration);
const rounds = Number(flags.rounds);
const connections = Number(flags.connections);
const token = `bench-token-${process.pid}-0123456789`;
const body = readFileSync(path.join(model, 'serving_input_example.json'), 'utf8').trim();
const work = mkdtempSync(path.join(tmpdir(), 'berth-server-bench-'));
const state = path.join(work, 'state');
const script = path.join(work, 'post.lua');

try {
  execFileSync('wrk', ['--version'], { stdio: 'ignore' });
} catch (error) {
  if (error.code === 'ENOENT') {
    console.error('wrk is not installed: apt-get install wrk');
    process.exit(2);
  }
}
writeFileSync(
  script,
  [
    'wrk.method = "POST"',
    'wrk.headers["content-type"] = "application/json"',
    `wrk.headers["authorization"] = "Bearer ${token}"`,
    `wrk.body = ${JSON.stringify(body)}`,
    '',
  ].join('\n'),
);

let server;
function cleanup() {
  if (server && server.exitCode === null) server.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
}
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

/** `berth serve` as its own process, as a user runs it; resolves with its URL. */
function startServer() {
  const child = spawn(
    process.execPath,
    [cli, 'serve', '-t', `local:${state}`, '--port', '0', '--json', '--log-level', 'warn'],
    {
      env: { ...process.env, BERTH_SERVER_TOKEN: token },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  server = child;
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('berth serve did not start within 60 s')), 60_000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const line = out.split('\n').find((text) => text.startsWith('{'));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line).url);
      }
    });
    child.once('exit', (code) => reject(new Error(`berth serve exited ${code}`)));
  });
}

async function api(url, method, route, payload) {
  const response = await fetch(`${url}${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', prefer: 'wait=60' },
    body: payload === undefined ? undefined : JSON.stringify(payload),
  });
  return response.json();
}

function parseMicros(text) {
  const match = /([\d.]+)(us|ms|s)\b/.exec(text);
  if (!match) return Number.NaN;
  const value = Number(match[1]);
  return match[2] === 'us' ? value : match[2] === 'ms' ? value * 1000 : value * 1e6;
}

/** CPU time (user + system, µs) a process has used, from /proc (Linux); NaN elsewhere. */
function cpuMicros(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return Number.NaN;
  }
}

let processes = [];
/** wrk against `url`, with the CPU each watched process spent per answered request. */
async function wrk(url, connectionCount) {
  const before = processes.map(cpuMicros);
  const result = await runWrk(url, connectionCount);
  const answered = result.rps * duration;
  result.cpu = processes.map((pid, index) => (cpuMicros(pid) - before[index]) / answered);
  return result;
}

function runWrk(url, connectionCount) {
  return new Promise((resolve, reject) => {
    execFile(
      'wrk',
      ['-t1', `-c${connectionCount}`, `-d${duration}s`, '--latency', '-s', script, url],
      { timeout: (duration + 30) * 1000 },
      (error, stdout) => {
        if (error) return reject(error);
        const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
        const p50 = parseMicros(/\s50%\s+(\S+)/.exec(stdout)?.[1] ?? '');
        const p99 = parseMicros(/\s99%\s+(\S+)/.exec(stdout)?.[1] ?? '');
        const errors = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? 0);
        const socketErrors = /Socket errors:(.*)/.exec(stdout)?.[1]?.trim();
        resolve({ rps, p50, p99, errors, socketErrors });
      },
    );
  });
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

const url = await startServer();
const created = await api(url, 'POST', '/api/berth/v1/deployments', { name: 'iris', modelUri: model });
if (created.state !== 'succeeded') throw new Error(`create failed: ${JSON.stringify(created.error ?? created)}`);
const direct = `${created.result.url}/invocations`;
processes = [server.pid, created.result.pid];
const proxied = `${url}/endpoints/iris/invocations`;

// Warm both paths (JIT, connection pools) before anything is measured.
await wrk(direct, connections);
await wrk(proxied, connections);

const results = { direct: [], proxied: [], direct1: [], proxied1: [] };
for (let round = 0; round < rounds; round++) {
  results.direct.push(await wrk(direct, connections));
  results.proxied.push(await wrk(proxied, connections));
  results.direct1.push(await wrk(direct, 1));
  results.proxied1.push(await wrk(proxied, 1));
}

const deleted = await api(url, 'DELETE', '/api/berth/v1/deployments/iris');
// A delete that did not finish leaves the deployment's processes running: say so.
if (deleted.state !== 'succeeded') console.error(`warning: the delete did not succeed: ${JSON.stringify(deleted)}`);
server.kill('SIGTERM');
await new Promise((resolve) => server.once('exit', resolve));

const summary = (runs) => ({
  rps: median(runs.map((run) => run.rps)),
  p50: median(runs.map((run) => run.p50)),
  p99: median(runs.map((run) => run.p99)),
  errors: runs.reduce((sum, run) => sum + run.errors, 0),
  serverCpuMicros: median(runs.map((run) => run.cpu[0])),
  deploymentCpuMicros: median(runs.map((run) => run.cpu[1])),
  socketErrors: runs.map((run) => run.socketErrors).filter(Boolean),
});
const report = {
  rounds,
  duration,
  connections,
  direct: summary(results.direct),
  proxied: summary(results.proxied),
  direct1: summary(results.direct1),
  proxied1: summary(results.proxied1),
  perRoundRpsRatio: results.proxied.map((run, index) => run.rps / results.direct[index].rps),
};
report.rpsRatio = report.proxied.rps / report.direct.rps;
report.p50AddedMs = (report.proxied.p50 - report.direct.p50) / 1000;
report.p50AddedMsC1 = (report.proxied1.p50 - report.direct1.p50) / 1000;

if (flags.json) {
  console.log(JSON.stringify(report, null, 2));
} else {
  const fmt = (value) => (value >= 100 ? value.toFixed(0) : value.toFixed(2));
  console.log(`berth serve -t local, iris, wrk -t1, ${rounds} rounds × ${duration} s (medians)`);
  console.log(
    `c=${connections}  direct ${fmt(report.direct.rps)} req/s p50 ${fmt(report.direct.p50)} µs | through server ${fmt(report.proxied.rps)} req/s p50 ${fmt(report.proxied.p50)} µs`,
  );
  console.log(
    `      ratio ${report.rpsRatio.toFixed(2)}× (per round ${report.perRoundRpsRatio.map((r) => r.toFixed(2)).join(', ')}), p50 added ${report.p50AddedMs.toFixed(3)} ms (goal ≥ 0.8×, ≤ 1 ms)`,
  );
  console.log(
    `c=1   direct p50 ${fmt(report.direct1.p50)} µs, through server p50 ${fmt(report.proxied1.p50)} µs: added ${report.p50AddedMsC1.toFixed(3)} ms; ${fmt(report.direct1.rps)} vs ${fmt(report.proxied1.rps)} req/s`,
  );
  console.log(
    `CPU per request at c=${connections}: deployment ${fmt(report.direct.deploymentCpuMicros)} µs direct, ${fmt(report.proxied.deploymentCpuMicros)} µs behind the server; server ${fmt(report.proxied.serverCpuMicros)} µs`,
  );
  console.log(`errors: direct ${report.direct.errors}, through server ${report.proxied.errors} non-2xx`);
}
