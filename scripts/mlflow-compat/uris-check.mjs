// Driven by uris.sh (dev-only): deploys every URI that MLflow predicted in OUT/pyfunc-predictions.json
// through the berth CLI (target local) under the current MLFLOW_TRACKING_URI, compares berth's
// predictions with MLflow's, and runs the failure cases. Prints one line per check; exits 1 if any
// check failed.
//
//   node uris-check.mjs OUT_DIR SERVER_URL|"" [--only-first]
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
let n = 0;

function run(args, env = {}) {
  const result = spawnSync(process.execPath, [berth, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 300_000,
  });
  return { code: result.status, stdout: result.stdout.trim(), stderr: result.stderr.trim() };
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
  const left = [got.pid, got.supervisorPid].filter((pid) => pid && procState(pid) && procState(pid) !== 'Z');
  report(
    ok && deleted.code === 0 && left.length === 0,
    uri,
    `${detail}; delete exit ${deleted.code}, processes left ${left.length ? left.join(',') : 'none'}`,
  );
}
if (flag === '--only-first') process.exit(failures ? 1 : 0);

function expectFailure(what, uri, code, pattern, env = {}, json = false) {
  const result = run(['create', '-t', 'local', '--name', `f${++n}`, '-m', uri, ...(json ? ['--json'] : [])], env);
  const text = json ? result.stdout || result.stderr : result.stderr;
  const first = text
    .split('\n')
    .slice(0, json ? 3 : 2)
    .join(' | ');
  report(
    result.code === code && pattern.test(text),
    `${what}: exit ${result.code} (want ${code})`,
    first.slice(0, 300),
  );
}
const run3 = manifest.runs.mlflow3;
expectFailure('missing alias', 'models:/iris@nope', 4, /alias/i);
expectFailure('missing model', 'models:/no-such-model/1', 4, /Registered Model with name=no-such-model not found/);
expectFailure('missing version', 'models:/iris/99', 4, /version/i);
expectFailure('stage with no version', 'models:/iris/Archived', 4, /Archived|stage/i);
expectFailure('no version at all', 'models:/empty-model/latest', 4, /empty-model/);
expectFailure('missing run', 'runs:/0123456789abcdef0123456789abcdef/model', 4, /run/i);
expectFailure('path no model of the run has', `runs:/${run3}/nothere`, 4, /nothere|model/i);
expectFailure('missing logged model', 'models:/m-0123456789abcdef0123456789abcdef', 4, /m-0123456789abcdef/);
if (server) {
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
}
console.log(failures ? `${failures} check(s) failed` : 'all checks passed');
process.exit(failures ? 1 : 0);
