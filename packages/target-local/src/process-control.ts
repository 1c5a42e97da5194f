import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** True while `pid` exists (and is not a zombie we could still reap). */
export function isAlive(pid: number | null | undefined): pid is number {
  if (!pid || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // Linux: a zombie still answers kill(0); its state letter is Z.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return true;
  }
}

function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return undefined; // no /proc (or the process just went)
  }
}

/**
 * True when `pid` is alive and its command line carries `marker` — guards against a pid that was
 * reused by an unrelated process (pids wrap around quickly on busy machines: 32768 by default).
 */
export function isOurProcess(pid: number | null | undefined, marker: string): pid is number {
  if (!isAlive(pid)) return false;
  const command = commandLine(pid);
  return command === undefined ? true : command.includes(marker); // no /proc: trust the pid
}

/**
 * True when `pid` is the live supervisor of generation `instanceId` (its spec, in argv, names it).
 * A supervisor of another deployment or state directory that happens to reuse the pid is not.
 */
export function isSupervisorOf(pid: number | null | undefined, instanceId: string): pid is number {
  if (!isAlive(pid)) return false;
  const command = commandLine(pid);
  return command === undefined ? true : command.includes(SUPERVISOR_MARKER) && command.includes(instanceId);
}

/** The process group of `pid` (field 5 of /proc/<pid>/stat), or undefined when unknown. */
export function processGroupOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may hold spaces and parentheses: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const group = Number(fields[2]);
    return Number.isInteger(group) ? group : undefined;
  } catch {
    return undefined;
  }
}

/**
 * True when `pid` is a live scoring server of the supervisor group `supervisorPid` — a server can
 * outlive a supervisor killed with -9, and keeps its process group.
 */
export function isServerOf(pid: number | null | undefined, supervisorPid: number | null | undefined): pid is number {
  if (!supervisorPid || !isOurProcess(pid, 'server-process.js')) return false;
  const group = processGroupOf(pid);
  return group === undefined || group === supervisorPid;
}

export function signal(pid: number | null | undefined, name: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

/** Signals the whole process group a detached supervisor leads (supervisor + its child). */
export function signalGroup(pid: number | null | undefined, name: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, name);
  } catch {
    signal(pid, name);
  }
}

export async function waitForExit(pid: number | null | undefined, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return true;
}

/** SIGTERM (the server drains in-flight requests), then SIGKILL the group after `graceMs`. */
export async function stopGroup(pid: number | null | undefined, graceMs: number): Promise<void> {
  if (!isAlive(pid)) return;
  signal(pid, 'SIGTERM');
  if (await waitForExit(pid, graceMs)) return;
  signalGroup(pid, 'SIGKILL');
  await waitForExit(pid, 2000);
}

/** Stops the supervisor of generation `instanceId` and its group — only if `pid` still is that supervisor. */
export async function stopSupervisor(
  pid: number | null | undefined,
  instanceId: string,
  graceMs: number,
): Promise<void> {
  if (isSupervisorOf(pid, instanceId)) await stopGroup(pid, graceMs);
}

export const SUPERVISOR_MARKER = 'berth-local-supervisor';

export function supervisorScript(): string {
  return fileURLToPath(new URL('./supervisor.js', import.meta.url));
}

export function serverScript(): string {
  return fileURLToPath(new URL('./server-process.js', import.meta.url));
}

export function routerScript(): string {
  return fileURLToPath(new URL('./router.js', import.meta.url));
}

/**
 * Starts a detached supervisor (its own process group, stdio to the log file) that outlives this
 * process. The spec travels as JSON in argv; secrets travel in `env` only.
 */
export function spawnSupervisor(spec: object, logFile: string, env: Record<string, string>): number {
  const log = openSync(logFile, 'a', 0o600);
  writeSync(log, `\n=== ${new Date().toISOString()} supervisor starting\n`);
  try {
    const child = spawn(process.execPath, [supervisorScript(), SUPERVISOR_MARKER, JSON.stringify(spec)], {
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...process.env, ...env },
    });
    child.unref();
    if (child.pid === undefined) throw new Error('the supervisor process could not be started');
    return child.pid;
  } finally {
    closeSync(log);
  }
}

export function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** The last lines a log gained since `offset` — what a failed start explains itself with. */
export async function logTail(file: string, offset = 0, lines = 20): Promise<string> {
  try {
    const handle = await open(file, 'r');
    try {
      const size = (await handle.stat()).size;
      const start = Math.max(offset, size - 16_384);
      const buffer = Buffer.alloc(Math.max(0, size - start));
      await handle.read(buffer, 0, buffer.length, start);
      return buffer.toString('utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } finally {
      await handle.close();
    }
  } catch {
    return '';
  }
}
