// Driven by uris.sh (dev-only): deploys every URI that MLflow predicted in OUT/pyfunc-predictions.json
// through the berth CLI (target local) under the current MLFLOW_TRACKING_URI, compares berth's
// predictions with MLflow's, and runs the failure cases. Prints one line per check; exits 1 if any
// check failed.
//
//   node uris-check.mjs OUT_DIR SERVER_URL|"" [--only-first | --unreachable]
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const [out, server, flag] = process.argv.slice(2);
const berth = fileURLToPath(new URL('../../packages/cli/dist/index.js', import.meta.url));
const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
const expected = JSON.parse(readFileSync(path.join(out, 'pyfunc-predictions.json'), 'utf8'));
const input = path.join(out, 'input.json');
writeFileSync(input, JSON.stringify({ inputs: manifest.example }));
let failures = 0;
const PAGE_SERVER = `require('node:http').createServer((_, r) => { r.writeHead(502, { 'content-type': 'text/html' });
  r.end('<html><head><title>502 Bad Gateway</title></head><body>' + '<p>proxy error</p>'.repeat(40) + '</body></html>'); })
  .listen(0, '127.0.0.1', function () { console.log(this.address().port); });`;
const SILENT_SERVER = `require('node:net').createServer(() => {})
  .listen(0, '127.0.0.1', function () { console.log(this.address().port); });`;
let n = 0;

function run(args, env = {}) {
  const started = performance.now();
  const result = spawnSync(process.execPath, [berth, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 300_000,
  });
  const ms = Math.round(performance.now() - started);
  return { code: result.status, stdout: result.stdout.trim(), stderr: result.stderr.trim(), ms };
}
/** Whether a TCP port on loopback can be listened on again (nothing holds it). */
function portFree(port) {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}
function report(ok, what, detail) {
  if (!ok) failures++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? ` — ${detail}` : ''}`);
}
/** A pid's process state from /proc ('' when gone). */
function procState(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return '';
  }
}

const uris = Object.keys(expected).filter((uri) => server || !uri.startsWith('mlflow-artifacts:'));
for (const uri of flag === '--only-first' ? uris.slice(0, 2) : uris) {
  const name = `u${++n}`;
  const created = run(['create', '-t', 'local', '--name', name, '-m', uri]);
  if (created.code !== 0) {
    report(false, uri, `create exit ${created.code}: ${created.stderr.split('\n')[0]}`);
    continue;
  }
  const predicted = run(['predict', '-t', 'local', '--name', name, '-I', input, '--json']);
  let detail = `predict exit ${predicted.code}`;
  let ok = false;
  if (predicted.code === 0) {
    const got = JSON.parse(predicted.stdout).predictions;
    const want = expected[uri];
    const labels = JSON.stringify(got.label) === JSON.stringify(want.label);
    const diff = Math.max(...want.probabilities.flat().map((v, i) => Math.abs(v - got.probabilities.flat()[i])));
    ok = labels && diff <= 1e-6;
    detail = `labels ${labels ? 'equal' : `differ ${JSON.stringify(got.label)} vs ${JSON.stringify(want.label)}`}, max |Δp| ${diff.toExponential(1)}`;
  }
  const got = JSON.parse(run(['get', '-t', 'local', '--name', name, '--json']).stdout || '{}');
  const deleted = run(['delete', '-t', 'local', '--name', name]);
  // Checked the moment delete returns: no process of the deployment left (a zombie is gone), its port free.
  const left = [got.pid, got.supervisorPid].filter((pid) => pid && procState(pid) && procState(pid) !== 'Z');
  const free = got.port ? await portFree(got.port) : false;
  let again = '';
  let againOk = true;
  if (n === 1 && got.port) {
    // Once per mode: an immediate create on the port just freed, with the same model.
    const recreated = run(['create', '-t', 'local', '--name', `${name}-again`, '-m', uri, '-C', `port=${got.port}`]);
    const removed = run(['delete', '-t', 'local', '--name', `${name}-again`]);
    againOk = recreated.code === 0 && removed.code === 0;
    again = `; create again on port ${got.port} at once: exit ${recreated.code}${recreated.code ? ` ${recreated.stderr.split('\n')[0]}` : ''}`;
  }
  report(
    ok && deleted.code === 0 && left.length === 0 && free && againOk,
    uri,
    `${detail}; create ${created.ms} ms; delete exit ${deleted.code} in ${deleted.ms} ms (pids ${got.pid}/${got.supervisorPid}), processes left ${left.length ? left.join(',') : 'none'}, port ${got.port} ${free ? 'free' : 'still held'}${again}`,
  );
}
if (flag === '--only-first') process.exit(failures ? 1 : 0);

function expectFailure(what, uri, code, pattern, env = {}, json = false) {
  const result = run(['create', '-t', 'local', '--name', `f${++n}`, '-m', uri, ...(json ? ['--json'] : [])], env);
  const seconds = `${(result.ms / 1000).toFixed(1)} s`;
  const text = json ? result.stdout || result.stderr : result.stderr;
  const first = text
    .split('\n')
    .slice(0, json ? 3 : 2)
    .join(' | ');
  report(
    result.code === code && pattern.test(text),
    `${what}: exit ${result.code} (want ${code}) in ${seconds}`,
    first.slice(0, 300),
  );
}
const run3 = manifest.runs.mlflow3;
// The messages MLflow itself gives for these (its REST store's, as its client raises them).
expectFailure('missing alias', 'models:/iris@nope', 4, /Registered model alias nope not found/);
expectFailure('missing model', 'models:/no-such-model/1', 4, /Registered Model with name=no-such-model not found/);
expectFailure(
  'missing model (alias)',
  'models:/no-such-model@champion',
  4,
  /Registered Model with name=no-such-model not found/,
);
expectFailure('missing version', 'models:/iris/99', 4, /Model Version \(name=iris, version=99\) not found/);
expectFailure(
  'stage with no version',
  'models:/iris/Archived',
  4,
  /No versions of model with name 'iris' and stage 'Archived' found/,
);
expectFailure(
  'no version at all',
  'models:/empty-model/latest',
  4,
  /No versions of model with name 'empty-model' found/,
);
expectFailure(
  'missing run',
  'runs:/0123456789abcdef0123456789abcdef/model',
  4,
  /Run with id=0123456789abcdef0123456789abcdef not found/,
);
expectFailure('path no model of the run has', `runs:/${run3}/nothere`, 4, /logged no model named 'nothere'/);
expectFailure(
  'missing logged model',
  'models:/m-0123456789abcdef0123456789abcdef',
  4,
  /Logged model with ID 'm-0123456789abcdef0123456789abcdef' not found/,
);
// The server-independent cases (nothing listening, a web page) once, with the first server mode:
// each waits out MLflow's default retries (7, backoff factor 2), about 2.5 minutes.
if (flag === '--unreachable') {
  const closed = createServer();
  await new Promise((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const closedPort = closed.address().port;
  await new Promise((resolve) => closed.close(resolve));
  const refused = { MLFLOW_TRACKING_URI: `http://127.0.0.1:${closedPort}` };
  expectFailure('server not reachable', 'models:/iris/1', 6, /refused/i, refused);
  expectFailure('server not reachable (--json)', 'models:/iris/1', 6, /refused/i, refused, true);
  // The web page is served by a child process: spawnSync blocks this one.
  const page = spawn(process.execPath, ['-e', PAGE_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve) => page.stdout.once('data', (chunk) => resolve(String(chunk).trim())));
  const html = { MLFLOW_TRACKING_URI: `http://127.0.0.1:${port}` };
  expectFailure('a web page, not a tracking server', 'models:/iris/1', 3, /not an MLflow tracking server/i, html);
  expectFailure('a web page (--json)', 'models:/iris/1', 3, /not an MLflow tracking server/i, html, true);
  page.kill();
  // The other causes issue 13 names, without retries (MLFLOW_HTTP_REQUEST_MAX_RETRIES=0) to keep this short.
  const once = { MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0' };
  const tlsUri = server.replace(/^http:/, 'https:');
  expectFailure('TLS: https to the plain-http MLflow server', 'models:/iris/1', 6, /TLS failed: wrong version number/, {
    ...once,
    MLFLOW_TRACKING_URI: tlsUri,
  });
  // A reserved name (RFC 6761 .invalid): one lookup, no answer expected.
  expectFailure('unknown host', 'models:/iris/1', 6, /unknown host 'berth-no-such-host\.invalid'/, {
    ...once,
    MLFLOW_TRACKING_URI: 'http://berth-no-such-host.invalid:5000',
  });
  const silent = spawn(process.execPath, ['-e', SILENT_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const silentPort = await new Promise((resolve) =>
    silent.stdout.once('data', (chunk) => resolve(String(chunk).trim())),
  );
  expectFailure('no answer within MLFLOW_HTTP_REQUEST_TIMEOUT=2', 'models:/iris/1', 9, /no answer within 2 seconds/, {
    ...once,
    MLFLOW_HTTP_REQUEST_TIMEOUT: '2',
    MLFLOW_TRACKING_URI: `http://127.0.0.1:${silentPort}`,
  });
  silent.kill();
}
console.log(failures ? `${failures} check(s) failed` : 'all checks passed');
process.exit(failures ? 1 : 0);
