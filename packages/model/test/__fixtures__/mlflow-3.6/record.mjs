// Records a real MLflow tracking server's REST answers for the fixture models (see make-fixtures.sh).
//
//   node record.mjs SERVER_URL MODE_DIR [ARTIFACT_ROOT]
//
// MODE_DIR holds manifest.json (from log-models.py); recording.json is written there. Every answer
// is kept as the server sent it (status, content type, body), with the server's URL replaced by
// {{SERVER}} and ARTIFACT_ROOT (the plain artifact root, when artifacts are not proxied) by
// {{ARTIFACT_ROOT}}, so that the replay server can serve them from any address and folder.
// File downloads through the artifact proxy are not recorded here: their bytes are the files
// themselves, copied next to the recording by make-fixtures.sh.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const [server, modeDir, artifactRoot] = process.argv.slice(2);
const manifest = JSON.parse(readFileSync(path.join(modeDir, 'manifest.json'), 'utf8'));
const api = '/api/2.0/mlflow';
const artifactsRoute = '/api/2.0/mlflow-artifacts/artifacts';
const exchanges = [];

function placeholders(text) {
  let out = text.split(server).join('{{SERVER}}');
  if (artifactRoot) out = out.split(artifactRoot).join('{{ARTIFACT_ROOT}}');
  return out;
}

async function record(method, route, { query, body } = {}) {
  const search = query ? `?${new URLSearchParams(query)}` : '';
  const response = await fetch(`${server}${route}${search}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await response.text();
  exchanges.push({
    method,
    path: route,
    ...(query ? { query } : {}),
    ...(body === undefined ? {} : { body }),
    status: response.status,
    contentType: response.headers.get('content-type'),
    response: placeholders(text),
  });
  return text;
}

const runs = Object.values(manifest.runs);
const models = Object.values(manifest.models);
const experiment = JSON.parse(await record('GET', `${api}/runs/get`, { query: { run_id: runs[0] } })).run.info
  .experiment_id;
for (const runId of runs.slice(1)) await record('GET', `${api}/runs/get`, { query: { run_id: runId } });
await record('GET', `${api}/runs/get`, { query: { run_id: '0123456789abcdef0123456789abcdef' } });

// The logged-model searches Berth sends: by name (MLflow's own rule), and by source run (for suggestions).
for (const name of ['model', 'legacy', 'nope']) {
  await record('POST', `${api}/logged-models/search`, {
    body: { experiment_ids: [experiment], filter: `name = '${name}'`, max_results: 100 },
  });
}
for (const runId of runs) {
  await record('POST', `${api}/logged-models/search`, {
    body: { experiment_ids: [experiment], filter: `source_run_id = '${runId}'`, max_results: 100 },
  });
}
for (const modelId of [...models, 'm-0123456789abcdef0123456789abcdef']) {
  await record('GET', `${api}/logged-models/${modelId}`);
}

for (const name of ['iris', 'iris-legacy', 'empty-model', 'nope']) {
  await record('GET', `${api}/registered-models/get`, { query: { name } });
}
for (const [name, version] of [
  ['iris', '1'],
  ['iris', '2'],
  ['iris', '7'],
  ['iris-legacy', '1'],
  ['nope', '1'],
]) {
  await record('GET', `${api}/model-versions/get`, { query: { name, version } });
  await record('GET', `${api}/model-versions/get-download-uri`, { query: { name, version } });
}
for (const body of [
  { name: 'iris' },
  { name: 'iris', stages: ['Production'] },
  { name: 'iris', stages: ['production'] },
  { name: 'iris', stages: ['Staging'] },
  { name: 'iris', stages: ['Archived'] },
  { name: 'iris', stages: ['Shipped'] },
  { name: 'iris-legacy' },
  { name: 'empty-model' },
  { name: 'nope' },
  { name: 'nope', stages: ['Production'] },
]) {
  await record('POST', `${api}/registered-models/get-latest-versions`, { body });
}
for (const [name, alias] of [
  ['iris', 'champion'],
  ['iris', 'challenger'],
  ['iris', 'nobody'],
  ['nope', 'champion'],
]) {
  await record('GET', `${api}/registered-models/alias`, { query: { name, alias } });
}

// A route MLflow does not have (what an MLflow 2 server answers for the logged-model routes too).
await record('GET', `${api}/no-such-route`);

// Artifact proxy listings, recursively, for every run and logged model (empty when not proxied).
async function list(artifactPath, depth = 0) {
  const text = await record('GET', artifactsRoute, { query: { path: artifactPath } });
  if (depth > 8) return;
  let files = [];
  try {
    files = JSON.parse(text).files ?? [];
  } catch {
    return;
  }
  for (const file of files) if (file.is_dir) await list(`${artifactPath}/${path.posix.basename(file.path)}`, depth + 1);
}
for (const runId of runs) {
  await list(`${experiment}/${runId}/artifacts`);
  await list(`${experiment}/${runId}/artifacts/model`);
  await list(`${experiment}/${runId}/artifacts/nope`);
}
for (const modelId of models) await list(`${experiment}/models/${modelId}/artifacts`);
await record('GET', `${artifactsRoute}/${experiment}/0123456789abcdef/artifacts/MLmodel`);

writeFileSync(
  path.join(modeDir, 'recording.json'),
  `${JSON.stringify({ recordedFrom: 'MLflow 3.6 tracking server (mlflow server)', experiment, exchanges }, null, 1)}\n`,
);
console.log(`recorded ${exchanges.length} exchanges into ${path.join(modeDir, 'recording.json')}`);
