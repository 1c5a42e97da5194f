import { type ChildProcess, spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { LivenessMonitor, type LivenessVerdict } from '../liveness.js';
import { openStateStore, type StateStore } from '../state/state-store.js';
import { isReadyMessage, type ReadyMessage, type StartMessage, type SupervisorSpec } from '../supervisor-protocol.js';

/**
 * The supervisor process of one deployment or endpoint: runs the scoring server (or router) as a
 * child, records where it listens, restarts it on a crash with exponential backoff up to a limit,
 * replaces it when it stops answering `/ping` (hung: SIGKILL) or outgrows `max_rss_mb` (drained),
 * and drains it on SIGTERM. Started detached by a client, so it outlives the CLI; it tells that
 * client over IPC when the first child is ready, then keeps running without it.
 */

const spec = JSON.parse(process.argv[3] ?? '{}') as SupervisorSpec;
const RESTART_WINDOW_MS = 60_000;
/** A standby is started this long after the child is ready, so it does not compete with its start. */
const STANDBY_DELAY_MS = 1_000;

let child: ChildProcess | undefined;
let childReady = false;
let everReady = false;
let stopping = false;
let currentPort = spec.port;
let backoffTimer: NodeJS.Timeout | undefined;
let standby: ChildProcess | undefined;
let standbyTimer: NodeJS.Timeout | undefined;
const recentRestarts: number[] = [];
let store: StateStore | undefined;
let liveness: LivenessMonitor | undefined;
/** The state file this supervisor opened (device and inode), to notice when it is removed or replaced. */
let openedStateFile: { dev: number; ino: number } | undefined;
/** Why the supervisor itself ended a child (recorded as the restart's reason instead of 'exited'). */
const endedFor = new WeakMap<ChildProcess, LivenessVerdict>();

function log(message: string): void {
  process.stdout.write(`[supervisor ${process.pid} ${new Date().toISOString()}] ${message}\n`);
}

async function state(): Promise<StateStore> {
  if (store === undefined) {
    store = await openStateStore(spec.stateDirectory);
    const opened = statSync(stateFile());
    openedStateFile = { dev: opened.dev, ino: opened.ino };
  }
  return store;
}

function stateFile(): string {
  return join(spec.stateDirectory, 'local.db');
}

function spawnChild(): ChildProcess {
  const started = spawn(process.execPath, [spec.script], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: process.env,
  });
  started.on('error', (error) => log(`child error: ${error.message}`));
  return started;
}

/** The standby, if it is still alive and reachable. */
function takeStandby(): ChildProcess | undefined {
  const candidate = standby;
  standby = undefined;
  clearTimeout(standbyTimer);
  if (candidate?.connected && candidate.exitCode === null && candidate.signalCode === null) {
    candidate.removeAllListeners('exit');
    candidate.removeAllListeners('message');
    return candidate;
  }
  candidate?.kill('SIGKILL');
  return undefined;
}

/** Keeps one pre-started server process waiting, so a restart skips the process start. */
function prepareStandby(): void {
  if (spec.serve.role !== 'server' || stopping || standby) return;
  clearTimeout(standbyTimer);
  standbyTimer = setTimeout(() => {
    if (stopping || standby) return;
    const waiting = spawnChild();
    standby = waiting;
    waiting.on('exit', () => {
      if (standby === waiting) standby = undefined;
    });
    waiting.on('message', (message: { type?: string }) => {
      if (message?.type === 'standby-ready' && standby === waiting) log(`standby ready: pid ${waiting.pid}`);
    });
  }, STANDBY_DELAY_MS);
  standbyTimer.unref();
}

/** After a hot swap the row holds the current model: a restart must load that one, not the original. */
async function refreshModelFromState(): Promise<void> {
  if (spec.kind !== 'deployment' || spec.serve.role !== 'server') return;
  const row = (await state()).deployments.get(spec.name);
  if (row && row.instanceId === spec.instanceId) {
    spec.serve.modelDirectory = row.modelDirectory;
    if (row.flavor) spec.serve.flavor = row.flavor;
    else delete spec.serve.flavor;
  }
}

function startChild(): void {
  if (stopping) return;
  childReady = false;
  const fromStandby = takeStandby();
  const started = fromStandby ?? spawnChild();
  const message: StartMessage = { type: 'start', host: spec.host, port: currentPort, serve: spec.serve };
  log(`starting ${spec.kind} ${spec.name}${fromStandby ? ' (standby process)' : ''}: ${JSON.stringify(message)}`);
  child = started;
  started.on('exit', (code, signal) => void onChildExit(started, code, signal));
  started.on('message', (reply: unknown) => {
    if (child === started && !childReady && isReadyMessage(reply)) void onChildReady(reply);
  });
  started.send(message);
}

async function onChildReady(announcement: ReadyMessage): Promise<void> {
  childReady = true;
  everReady = true;
  currentPort = announcement.port;
  log(`ready: pid ${announcement.pid} on ${announcement.url}`);
  watchLiveness(child as ChildProcess, announcement);
  try {
    const db = await state();
    const patch = {
      port: announcement.port,
      url: announcement.url,
      state: 'running' as const,
      pid: announcement.pid,
      supervisorPid: process.pid,
    };
    if (spec.kind === 'deployment') {
      db.deployments.patch(spec.name, { ...patch, startedAt: Date.now(), lastError: null }, spec.instanceId);
    } else db.endpoints.patch(spec.name, patch, spec.instanceId);
  } catch (error) {
    log(`could not record readiness: ${(error as Error).message}`);
  }
  // The launching client waits for this (only the first time: afterwards nobody listens).
  if (process.connected) process.send?.(announcement);
  prepareStandby();
}

/** Probes the serving child; a hung one is killed, one over its memory limit drained — then restarted as after a crash. */
function watchLiveness(serving: ChildProcess, announcement: ReadyMessage): void {
  liveness?.stop();
  liveness = new LivenessMonitor(spec.liveness, { pid: announcement.pid, url: probeUrl(announcement) }, (verdict) => {
    if (child !== serving || stopping) return;
    endedFor.set(serving, verdict);
    if (verdict.reason === 'hung') {
      log(
        `liveness: pid ${announcement.pid} ${verdict.detail}; killing it (SIGKILL)${standby ? '; the standby takes over' : ''}`,
      );
      serving.kill('SIGKILL');
      return;
    }
    log(`liveness: pid ${announcement.pid} ${verdict.detail}; draining it (SIGTERM) for a restart`);
    serving.kill('SIGTERM');
    setTimeout(() => serving.kill('SIGKILL'), spec.drainMs).unref();
  });
  liveness.start();
}

/** Where the supervisor reaches its child: a wildcard bind answers on loopback. */
function probeUrl(announcement: ReadyMessage): string {
  const wildcard = spec.host === '0.0.0.0' || spec.host === '::' || spec.host === '[::]';
  return wildcard ? `http://127.0.0.1:${announcement.port}` : announcement.url;
}

async function onChildExit(exited: ChildProcess, code: number | null, signal: NodeJS.Signals | null): Promise<void> {
  if (child !== exited) return;
  child = undefined;
  liveness?.stop();
  const verdict = endedFor.get(exited);
  log(
    `child exited (code ${code}, signal ${signal})${verdict ? ` after the liveness check found it ${verdict.reason}` : ''}`,
  );
  if (stopping) return; // stop() exits once every child is gone
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
  const rows = db?.rowsOf(spec.kind);
  if (recentRestarts.length >= spec.restartLimit) {
    log(`restart limit reached (${spec.restartLimit} within 60 s); marking ${spec.kind} crashed`);
    // One write: a reader never sees 'crashed' without its reason.
    const why = verdict ? `${verdict.reason}: ${verdict.detail}` : `exited with code ${code}, signal ${signal}`;
    if (spec.kind === 'deployment') {
      db?.deployments.patch(spec.name, { state: 'crashed', pid: null, lastError: why }, spec.instanceId);
    } else rows?.patch(spec.name, { state: 'crashed', pid: null }, spec.instanceId);
    return process.exit(1);
  }
  recentRestarts.push(now);
  // The first restart is immediate (a one-off crash costs only the server's start time); repeats back off.
  const delay = recentRestarts.length === 1 ? 0 : Math.min(100 * 2 ** (recentRestarts.length - 2), 5_000);
  try {
    db?.recordRestart(
      {
        kind: spec.kind,
        name: spec.name,
        exitCode: code,
        signal,
        reason: verdict?.reason ?? 'exited',
        pid: exited.pid ?? null,
        detail: verdict?.detail ?? `exited with code ${code}, signal ${signal}`,
      },
      spec.instanceId,
    );
    rows?.patch(spec.name, { state: 'starting' }, spec.instanceId);
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

/** Drains the child, stops the standby, and exits once both are gone (a delete waits for that). */
function stop(signal: NodeJS.Signals): void {
  if (stopping) return;
  stopping = true;
  log(`${signal}: draining`);
  liveness?.stop();
  clearTimeout(backoffTimer);
  clearTimeout(standbyTimer);
  const running = [child, standby].filter(
    (member): member is ChildProcess => member !== undefined && member.exitCode === null && member.signalCode === null,
  );
  if (running.length === 0) process.exit(0);
  let left = running.length;
  for (const member of running) {
    member.once('exit', () => {
      if (--left === 0) process.exit(0);
    });
  }
  standby?.kill('SIGTERM');
  child?.kill('SIGTERM');
  setTimeout(() => {
    for (const member of running) member.kill('SIGKILL');
  }, spec.drainMs).unref();
}

/**
 * Whether the state file this supervisor belongs to is still the one it opened. Removed (the user
 * deleted BERTH_HOME) or replaced by another file, nobody can find this generation any more, and an
 * open SQLite handle would go on reading the unlinked file and answer that it still owns its row.
 */
function stateFileStillThere(): boolean {
  try {
    const now = statSync(stateFile());
    return openedStateFile === undefined || (now.dev === openedStateFile.dev && now.ino === openedStateFile.ino);
  } catch {
    return false;
  }
}

/**
 * A generation nobody owns retires itself: a client that died mid-update can leave one (its row
 * names another instance, or is gone), and so does removing the state directory under it.
 */
function watchOwnership(): void {
  let orphanSince: number | undefined;
  let lastError: string | undefined;
  const orphaned = (graceMs: number, why: string) => {
    orphanSince ??= Date.now();
    if (Date.now() - orphanSince > graceMs) {
      log(`${why}; retiring`);
      stop('SIGTERM');
    }
  };
  setInterval(() => {
    // Checked before the store is touched: opening it again would create the directory anew.
    if (!stateFileStillThere()) {
      orphaned(5_000, `its state file ${stateFile()} was removed or replaced`);
      return;
    }
    void state()
      .then((db) => {
        lastError = undefined;
        const row = db.rowsOf(spec.kind).get(spec.name);
        if (row && row.instanceId === spec.instanceId) {
          orphanSince = undefined;
          return;
        }
        orphaned(row ? spec.orphanGraceMs : 5_000, 'this generation no longer owns its state row');
      })
      .catch((error: unknown) => {
        // Busy or unreadable for a moment: it keeps serving and says so once per distinct error.
        const message = error instanceof Error ? error.message : String(error);
        if (message !== lastError) log(`cannot read its state row (${message}); still serving`);
        lastError = message;
      });
  }, 2_000).unref();
}

process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGHUP', () => undefined);
// The launching client goes away once the first child is ready (or when it exits): keep running.
process.on('disconnect', () => undefined);
startChild();
watchOwnership();
