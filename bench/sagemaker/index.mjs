#!/usr/bin/env node
// SageMaker target benches against loopback AWS (the test suite's loopback SageMaker server and
// moto_server), each against a baseline measured in the same run:
//   list:   `berth list -t sagemaker` vs `node -e 0` (goal ≤ 2.5×), and `berth --help` / `berth targets`
//           in a project with the sagemaker target vs one without it (goal: unchanged, ≈ 1.0×);
//   upload: `berth create` of a large model directory (tar → gzip → multipart upload to moto's S3)
//           vs `tar czf /dev/null` of the same folder (goal: ≤ 1.5×), and the CLI's peak RSS (≤ 150 MB).
// NODE_EXTRA_CA_CERTS is unset on both sides. Not a CI test.
// Usage: node bench/sagemaker/index.mjs [--only list|upload] [--runs 21] [--callgrind 3] [--size-mb 300] [--upload-runs 3] [--json]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { awsEnvironment, loadLoopbackAws, packageDir, projectWithTarget, root } from './loopback-aws.mjs';
import { startNullS3 } from './null-s3.mjs';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    runs: { type: 'string', default: '21' },
    warmup: { type: 'string', default: '3' },
    'size-mb': { type: 'string', default: '300' },
    'upload-runs': { type: 'string', default: '3' },
    'moto-every-run': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    // Also count instructions (valgrind's callgrind, min of N runs): the measure a busy machine moves least.
    callgrind: { type: 'string', default: '0' },
  },
});
const bin = path.join(root, 'packages/cli/bin/berth.cjs');
for (const built of [bin, path.join(packageDir, 'dist/index.js')]) {
  if (!existsSync(built)) {
    console.error(`${built} is missing; build first: npx -y pnpm@12.4.2 turbo run build`);
    process.exit(1);
  }
}
const ROLE = 'arn:aws:iam::123456789012:role/berth-bench';
const median = (numbers) => {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const results = {};

/**
 * One timed run. Asynchronous on purpose: the loopback servers live in this process, and a
 * synchronous spawn would stop them from answering the very command being timed.
 */
function timeOnce(args, options) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(args[0], args.slice(1), { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code) => {
      const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
      if (code !== 0) reject(new Error(`${args.join(' ')} exited with ${code}: ${stderr}`));
      else resolve({ elapsed, stdout });
    });
  });
}

/** Runs a command, sampling its peak RSS (VmHWM) from /proc until it exits. */
function runMeasured(args, options) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(args[0], args.slice(1), { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    let peakKb = 0;
    const sample = setInterval(async () => {
      try {
        const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
        const match = /VmHWM:\s+(\d+) kB/.exec(status);
        if (match) peakKb = Math.max(peakKb, Number(match[1]));
      } catch {}
    }, 20);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(sample);
      const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
      if (code !== 0) reject(new Error(`${args.join(' ')} exited with ${code}: ${stderr}`));
      else resolve({ elapsed, peakMb: peakKb / 1024, stdout });
    });
  });
}

const aws = await loadLoopbackAws();
const moto = await aws.startMotoServer();
const sagemaker = await aws.startLoopbackSageMaker({
  motoUrl: moto.url,
  runContainers: false,
  createLatencyMs: 0,
  updateLatencyMs: 0,
  deleteLatencyMs: 0,
});
const scratch = await mkdtemp(path.join(tmpdir(), 'berth-bench-sagemaker-'));
const withTarget = await projectWithTarget(path.join(scratch, 'with-target'));
const withoutTarget = await projectWithTarget(path.join(scratch, 'without-target'), false);
const env = awsEnvironment({ sagemaker: sagemaker.url, moto: moto.url, home: scratch });

try {
  console.log(`node ${process.version}, NODE_EXTRA_CA_CERTS unset, ${new Date().toISOString()}`);
  if (values.only !== 'upload') await benchList();
  if (values.only !== 'list') await benchUpload();
  if (values.json) console.log(JSON.stringify(results, null, 2));
} finally {
  await sagemaker.close();
  await moto.stop();
  await rm(scratch, { recursive: true, force: true });
}

async function benchList() {
  const control = sagemaker.control;
  control.handle('CreateModel', {
    ModelName: 'bench-model',
    ExecutionRoleArn: ROLE,
    PrimaryContainer: { Image: 'x/berth-scoring-server:0.1.0' },
  });
  control.handle('CreateEndpointConfig', {
    EndpointConfigName: 'bench-config',
    ProductionVariants: [
      { VariantName: 'v', ModelName: 'bench-model', InstanceType: 'ml.m5.large', InitialInstanceCount: 1 },
    ],
  });
  for (const name of ['bench-a', 'bench-b', 'bench-c'])
    control.handle('CreateEndpoint', { EndpointName: name, EndpointConfigName: 'bench-config' });
  // Let them reach InService (no latency, no containers).
  await new Promise((resolve) => setTimeout(resolve, 50));
  const listed = JSON.parse(
    (await timeOnce([process.execPath, bin, 'list', '-t', 'sagemaker', '--json'], { cwd: withTarget, env })).stdout,
  );
  if (listed.length !== 3) throw new Error(`berth list returned ${listed.length} deployments, expected 3`);

  const cases = [
    { label: 'node -e 0', args: [process.execPath, '-e', '0'], cwd: withTarget },
    { label: 'berth list -t sagemaker', args: [process.execPath, bin, 'list', '-t', 'sagemaker'], cwd: withTarget },
    { label: 'berth --help (with sagemaker)', args: [process.execPath, bin, '--help'], cwd: withTarget },
    { label: 'berth --help (without)', args: [process.execPath, bin, '--help'], cwd: withoutTarget },
    { label: 'berth targets (with sagemaker)', args: [process.execPath, bin, 'targets'], cwd: withTarget },
    { label: 'berth targets (without)', args: [process.execPath, bin, 'targets'], cwd: withoutTarget },
    { label: 'berth help -t sagemaker', args: [process.execPath, bin, 'help', '-t', 'sagemaker'], cwd: withTarget },
  ];
  const runs = Number(values.runs);
  for (let index = 0; index < Number(values.warmup); index++)
    for (const item of cases) await timeOnce(item.args, { cwd: item.cwd, env });
  const samples = cases.map(() => []);
  for (let index = 0; index < runs; index++) {
    for (const [position, item] of cases.entries())
      samples[position].push((await timeOnce(item.args, { cwd: item.cwd, env })).elapsed);
  }
  const medians = samples.map(median);
  const [node, list, helpWith, helpWithout, targetsWith, targetsWithout, targetHelp] = medians;
  console.log(`\nlist (${runs} interleaved runs each, medians)`);
  console.log('case                               median ms   min ms');
  for (const [position, item] of cases.entries()) {
    console.log(
      `${item.label.padEnd(34)} ${medians[position].toFixed(1).padStart(9)} ${Math.min(...samples[position])
        .toFixed(1)
        .padStart(8)}`,
    );
  }
  const ratios = {
    'list / node -e 0': { value: list / node, goal: '≤ 2.5', met: list / node <= 2.5 },
    '--help with / without the target': { value: helpWith / helpWithout, goal: '≈ 1.0 (unchanged)' },
    'targets with / without the target': { value: targetsWith / targetsWithout, goal: '≈ 1.0 (unchanged)' },
    'help -t sagemaker / node -e 0': { value: targetHelp / node, goal: 'reported' },
  };
  for (const [label, ratio] of Object.entries(ratios)) {
    console.log(
      `  ${label.padEnd(36)} ${ratio.value.toFixed(2)}×   goal ${ratio.goal}${ratio.met === undefined ? '' : ratio.met ? ' — met' : ' — NOT met'}`,
    );
  }
  results.list = {
    medians: Object.fromEntries(cases.map((item, position) => [item.label, medians[position]])),
    ratios,
  };
  const counted = Number(values.callgrind);
  if (counted > 0) {
    const [baseline, lean] = [cases[0], cases[1]];
    const base = await fewestInstructions(baseline, counted);
    const listed = await fewestInstructions(lean, counted);
    if (base === undefined || listed === undefined) console.log('  (callgrind: valgrind not found)');
    else {
      console.log(
        `  instructions (callgrind, min of ${counted}): node -e 0 ${(base / 1e6).toFixed(0)} M, list ${(listed / 1e6).toFixed(0)} M → ${(listed / base).toFixed(2)}×   goal ≤ 2.5${listed / base <= 2.5 ? ' — met' : ' — NOT met'}`,
      );
      results.list.instructions = { node: base, list: listed, ratio: listed / base };
    }
  }
}

/**
 * The fewest instructions `item` took under callgrind in `runs` runs. Spawned asynchronously: the
 * loopback SageMaker server answering the list runs in this process.
 */
async function fewestInstructions(item, runs) {
  let best;
  for (let index = 0; index < runs; index++) {
    const stderr = await new Promise((resolve) => {
      const child = spawn('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null', ...item.args], {
        cwd: item.cwd,
        env,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let text = '';
      child.stderr.on('data', (chunk) => (text += chunk));
      child.on('error', () => resolve(''));
      child.on('close', () => resolve(text));
    });
    const match = /Collected : (\d+)/.exec(stderr);
    if (match && (best === undefined || Number(match[1]) < best)) best = Number(match[1]);
  }
  return best;
}

async function benchUpload() {
  const sizeMb = Number(values['size-mb']);
  const model = path.join(scratch, 'big-model');
  await cp(path.join(root, 'examples/models/iris'), model, { recursive: true });
  // Weights-like bytes: random, so gzip cannot shrink them (the worst case for both sides).
  const file = await open(path.join(model, 'weights.bin'), 'w');
  const chunk = 4 * 1024 * 1024;
  for (let written = 0; written < sizeMb * 1024 * 1024; written += chunk) await file.write(randomBytes(chunk));
  await file.close();
  const tarRuns = [];
  const sinkRuns = [];
  const motoRuns = [];
  const nullS3 = await startNullS3();
  // The CLI against an S3 that keeps nothing (its own pipeline), and against moto's S3 (end to end).
  const sinkEnv = { ...env, AWS_ENDPOINT_URL_S3: nullS3.url };
  const create = (name, environment) =>
    runMeasured(
      [
        process.execPath,
        bin,
        'create',
        '-t',
        'sagemaker',
        '--name',
        name,
        '-m',
        model,
        '-C',
        `execution_role_arn=${ROLE}`,
        '-C',
        'synchronous=false',
        '-C',
        'archive=true',
        '--json',
      ],
      { cwd: withTarget, env: environment },
    );
  try {
    for (let index = 0; index < Number(values['upload-runs']); index++) {
      // tar writes to a pipe: GNU tar skips reading the files when its archive is /dev/null itself.
      tarRuns.push((await timeOnce(['sh', '-c', `tar czf - -C '${model}' . | cat > /dev/null`], { env })).elapsed);
      const sink = await create(`big-sink-${index}`, sinkEnv);
      sinkRuns.push({ ...sink, bytes: JSON.parse(sink.stdout).modelArchiveBytes });
      if (index === 0 || values['moto-every-run']) {
        const viaMoto = await create(`big-moto-${index}`, env);
        motoRuns.push({ ...viaMoto, bytes: JSON.parse(viaMoto.stdout).modelArchiveBytes });
      }
    }
  } finally {
    await nullS3.close();
  }
  const tarMs = median(tarRuns);
  const sinkMs = median(sinkRuns.map((run) => run.elapsed));
  const motoMs = median(motoRuns.map((run) => run.elapsed));
  const sinkPeak = Math.max(...sinkRuns.map((run) => run.peakMb));
  const motoPeak = Math.max(...motoRuns.map((run) => run.peakMb));
  const archiveMb = sinkRuns[0].bytes / 1024 / 1024;
  const rate = (ms) => `${(sizeMb / (ms / 1000)).toFixed(1)} MB/s`;
  console.log(
    `\nupload (${sizeMb} MB model directory of random bytes; medians of ${tarRuns.length} runs, moto ${motoRuns.length})`,
  );
  console.log(`  tar czf - | cat > /dev/null            ${tarMs.toFixed(0).padStart(7)} ms   ${rate(tarMs)}`);
  console.log(
    `  berth create → S3 that keeps nothing   ${sinkMs.toFixed(0).padStart(7)} ms   ${rate(sinkMs)}, archive ${archiveMb.toFixed(1)} MB, peak RSS ${sinkPeak.toFixed(0)} MB`,
  );
  console.log(
    `  berth create → moto's S3               ${motoMs.toFixed(0).padStart(7)} ms   ${rate(motoMs)}, peak RSS ${motoPeak.toFixed(0)} MB`,
  );
  console.log(
    `  ratio berth (null S3) / tar            ${(sinkMs / tarMs).toFixed(2)}×   goal ≤ 1.5 — ${sinkMs / tarMs <= 1.5 ? 'met' : 'NOT met'}`,
  );
  console.log(`  ratio berth (moto) / tar               ${(motoMs / tarMs).toFixed(2)}×   (moto's S3 speed included)`);
  console.log(
    `  peak RSS of the CLI                    ${Math.max(sinkPeak, motoPeak).toFixed(0).padStart(7)} MB   goal ≤ 150 — ${Math.max(sinkPeak, motoPeak) <= 150 ? 'met' : 'NOT met'}`,
  );
  results.upload = {
    sizeMb,
    tarMs,
    sinkMs,
    motoMs,
    sinkRatio: sinkMs / tarMs,
    motoRatio: motoMs / tarMs,
    sinkPeak,
    motoPeak,
    archiveMb,
  };
}
