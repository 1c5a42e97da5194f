import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import type { ServerStartMessage } from './server-process.js';
import { openStateStore, type StateStore } from './state-store.js';
import type { ReadyAnnouncement, SupervisorSpec } from './supervisor-spec.js';

/**
 * The supervisor process of one deployment or endpoint: runs the scoring server (or router) as a
 * child, records where it listens, restarts it on a crash with exponential backoff up to a limit,
 * and drains it on SIGTERM. Started detached by the client, so it outlives the CLI.
 */

const spec = JSON.parse(process.argv[3] ?? '{}') as SupervisorSpec;
const RESTART_WINDOW_MS = 60_000;

let child: ChildProcess | undefined;
let stopping = false;
let everReady = false;
let currentPort = spec.port;
let readyTimer: NodeJS.Timeout | undefined;
let backoffTimer: NodeJS.Timeout | undefined;
let childReady = false;
let standby: ChildProcess | undefined;
let standbyTimer: NodeJS.Timeout | undefined;
const recentRestarts: number[] = [];
let store: StateStore | undefined;

function log(message: string): void {
  process.stdout.write(`[supervisor ${process.pid} ${new Date().toISOString()}] ${message}\n`);
}

async function state(): Promise<StateStore> {
  store ??= await openStateStore(spec.stateDirectory);
  return store;
}

function routerCommand(script: string): string[] {
  return [
    script,
    '--state-dir',
    spec.stateDirectory,
    '--name',
    spec.name,
    '--host',
    spec.host,
    '--port',
    String(currentPort),
    '--ready-file',
    spec.readyFile,
  ];
}

function serverStart(server: NonNullable<SupervisorSpec['server']>): ServerStartMessage {
  return {
    type: 'start',
    readyFile: spec.readyFile,
    options: {
      modelUri: server.modelDirectory,
      ...(server.flavor ? { flavor: server.flavor } : {}),
      host: spec.host,
      port: currentPort,
      ...(server.workers !== undefined ? { workers: server.workers } : {}),
      ...(server.timeout !== undefined ? { timeoutSeconds: server.timeout } : {}),
      ...(server.maxBatchSize !== undefined ? { maxBatchSize: server.maxBatchSize } : {}),
      ...(server.maxBatchDelayMs !== undefined ? { maxBatchDelayMs: server.maxBatchDelayMs } : {}),
      allowCode: server.allowCode === true,
    },
  };
}

function spawnServerProcess(script: string): ChildProcess {
  return spawn(process.execPath, [script], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: process.env });
}

/** The standby, if it is still alive and reachable. */
function takeStandby(): ChildProcess | undefined {
  const candidate = standby;
  standby = undefined;
  clearTimeout(standbyTimer);
  if (candidate?.connected && candidate.exitCode === null && candidate.signalCode === null) {
    candidate.removeAllListeners('exit');
    return candidate;
  }
  candidate?.kill('SIGKILL');
  return undefined;
}

/** Keeps one pre-started server process waiting, so a crash restart skips the process start. */
function prepareStandby(): void {
  const server = spec.server;
  if (!server || stopping || standby) return;
  clearTimeout(standbyTimer);
  standbyTimer = setTimeout(() => {
    if (stopping || standby) return;
    const waiting = spawnServerProcess(server.script);
    standby = waiting;
    waiting.on('exit', () => {
      if (standby === waiting) standby = undefined;
    });
    waiting.on('error', () => undefined);
    waiting.on('message', (message: { type?: string }) => {
      if (message?.type === 'standby-ready' && standby === waiting) log(`standby ready: pid ${waiting.pid}`);
    });
  }, 1_000);
  standbyTimer.unref();
}

/** After a hot swap the row holds the current model: a restart must load that one, not the original. */
async function refreshModelFromState(): Promise<void> {
  if (spec.kind !== 'deployment' || !spec.server) return;
  const row = (await state()).getDeployment(spec.name);
  if (row && row.instanceId === spec.instanceId) {
    spec.server.modelDirectory = row.modelDirectory;
    spec.server.flavor = row.flavor || undefined;
  }
}

function startChild(): void {
  if (stopping) return;
  rmSync(spec.readyFile, { force: true });
  childReady = false;
  let started: ChildProcess;
  if (spec.server) {
    const fromStandby = takeStandby();
    started = fromStandby ?? spawnServerProcess(spec.server.script);
    const message = serverStart(spec.server);
    log(
      `starting ${spec.kind} ${spec.name}${fromStandby ? ' (standby process)' : ''}: ${JSON.stringify(message.options)}`,
    );
    started.send(message);
  } else if (spec.router) {
    const command = routerCommand(spec.router.script);
    log(`starting ${spec.kind} ${spec.name}: node ${command.join(' ')}`);
    started = spawn(process.execPath, command, { stdio: ['ignore', 'inherit', 'inherit'], env: process.env });
  } else {
    throw new Error('supervisor spec has neither server nor router');
  }
  child = started;
  started.on('exit', (code, signal) => void onChildExit(started, code, signal));
  started.on('error', (error) => log(`child error: ${error.message}`));
  pollReady(started);
}

function pollReady(started: ChildProcess): void {
  clearInterval(readyTimer);
  readyTimer = setInterval(() => {
    if (child !== started || childReady) return clearInterval(readyTimer);
    let announcement: ReadyAnnouncement;
    try {
      announcement = JSON.parse(readFileSync(spec.readyFile, 'utf8')) as ReadyAnnouncement;
    } catch {
      return;
    }
    clearInterval(readyTimer);
    childReady = true;
    everReady = true;
    currentPort = announcement.port;
    log(`ready: pid ${announcement.pid} on ${announcement.url}`);
    void recordReady(announcement);
    prepareStandby();
  }, 20);
}

async function recordReady(announcement: ReadyAnnouncement): Promise<void> {
  try {
    const db = await state();
    const common = { port: announcement.port, url: announcement.url, state: 'running' as const };
    if (spec.kind === 'deployment') {
      db.patchDeployment(
        spec.name,
        { ...common, serverPid: announcement.pid, supervisorPid: process.pid, startedAt: Date.now(), lastError: null },
        spec.instanceId,
      );
    } else {
      db.patchEndpoint(
        spec.name,
        { ...common, routerPid: announcement.pid, supervisorPid: process.pid },
        spec.instanceId,
      );
    }
  } catch (error) {
    log(`could not record readiness: ${(error as Error).message}`);
  }
}

async function onChildExit(exited: ChildProcess, code: number | null, signal: NodeJS.Signals | null): Promise<void> {
  if (child !== exited) return;
  child = undefined;
  clearInterval(readyTimer);
  log(`child exited (code ${code}, signal ${signal})`);
  if (stopping) return process.exit(0);
  if (!everReady && spec.failFast) {
    log('the first start failed; giving up');
    return process.exit(1);
  }
  const wasReady = childReady;
  // A port that another process grabbed while we were down: take any free one (the row gets the new url).
  if (!wasReady && !spec.fixedPort) currentPort = 0;
  const now = Date.now();
  while (recentRestarts.length > 0 && (recentRestarts[0] ?? 0) < now - RESTART_WINDOW_MS) recentRestarts.shift();
  const db = await state().catch(() => undefined);
  if (recentRestarts.length >= spec.restartLimit) {
    log(`restart limit reached (${spec.restartLimit} within 60 s); marking ${spec.kind} crashed`);
    const patch = { state: 'crashed' as const };
    if (spec.kind === 'deployment') {
      db?.patchDeployment(
        spec.name,
        { ...patch, serverPid: null, lastError: `exited with code ${code}, signal ${signal}` },
        spec.instanceId,
      );
    } else db?.patchEndpoint(spec.name, { ...patch, routerPid: null }, spec.instanceId);
    return process.exit(1);
  }
  recentRestarts.push(now);
  // The first restart is immediate (a one-off crash costs only the server's start time); repeats back off.
  const delay = recentRestarts.length === 1 ? 0 : Math.min(100 * 2 ** (recentRestarts.length - 2), 5_000);
  try {
    db?.recordRestart(spec.kind, spec.name, spec.instanceId, { code, signal });
    if (spec.kind === 'deployment') db?.patchDeployment(spec.name, { state: 'starting' }, spec.instanceId);
    else db?.patchEndpoint(spec.name, { state: 'starting' }, spec.instanceId);
  } catch (error) {
    log(`could not record the restart: ${(error as Error).message}`);
  }
  log(`restarting in ${delay} ms (restart ${recentRestarts.length} within 60 s)`);
  backoffTimer = setTimeout(() => {
    void refreshModelFromState().then(startChild, (error: Error) => {
      log(`could not read state: ${error.message}`);
      startChild();
    });
  }, delay);
}

function stop(signal: NodeJS.Signals): void {
  if (stopping) return;
  stopping = true;
  log(`${signal}: draining`);
  clearTimeout(backoffTimer);
  clearTimeout(standbyTimer);
  standby?.kill('SIGTERM');
  if (!child) process.exit(0);
  child.kill('SIGTERM');
  setTimeout(() => {
    child?.kill('SIGKILL');
    setTimeout(() => process.exit(0), 500).unref();
  }, spec.drainMs).unref();
}

/** A CLI that died mid-update can leave a generation nobody owns; it retires itself. */
function watchOwnership(): void {
  let orphanSince: number | undefined;
  setInterval(() => {
    void state()
      .then((db) => {
        const row = spec.kind === 'deployment' ? db.getDeployment(spec.name) : db.getEndpoint(spec.name);
        if (row && row.instanceId === spec.instanceId) {
          orphanSince = undefined;
          return;
        }
        orphanSince ??= Date.now();
        if (Date.now() - orphanSince > (row ? spec.orphanGraceMs : 5_000)) {
          log('this generation no longer owns its state row; retiring');
          stop('SIGTERM');
        }
      })
      .catch(() => undefined);
  }, 2_000).unref();
}

process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGHUP', () => undefined);
startChild();
watchOwnership();
