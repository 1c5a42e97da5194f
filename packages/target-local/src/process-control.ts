import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, statSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { commandLine, isAlive, isSupervisorOf, SUPERVISOR_MARKER } from './process-identity.js';
import { waitUntil } from './wait-until.js';

export { isAlive, isOurProcess, isSupervisorOf, SUPERVISOR_MARKER } from './process-identity.js';

/**
 * Processes of the local target as seen from outside: signal them, wait for them to go, start a
 * detached supervisor, read what its log gained. Whether a recorded pid is still ours is in
 * `process-identity.ts` (re-exported here), which `berth list` loads without this module.
 */

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
 * True when `pid` is a live scoring server or router of the supervisor group `supervisorPid` — a
 * child can outlive a supervisor killed with -9, and keeps its process group.
 */
export function isServingChildOf(
  pid: number | null | undefined,
  supervisorPid: number | null | undefined,
): pid is number {
  if (!supervisorPid || !isAlive(pid)) return false;
  const command = commandLine(pid);
  if (command !== undefined && !CHILD_SCRIPTS.some((script) => command.includes(script))) return false;
  const group = processGroupOf(pid);
  return group === undefined || group === supervisorPid;
}

const CHILD_SCRIPTS = ['processes/server-process.js', 'processes/router.js'];

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

/** Resolves true once `pid` is gone (it may be another process's child: no exit event reaches us). */
export async function waitForExit(pid: number | null | undefined, timeoutMs: number): Promise<boolean> {
  return (await waitUntil(() => !isAlive(pid), { timeoutMs })) === true;
}

/**
 * True while the process group `pgid` has a member that is not a zombie. While a group has members
 * its id cannot be reused, so a live group led by our supervisor stays ours.
 */
export function groupAlive(pgid: number | null | undefined): boolean {
  if (!pgid || pgid <= 0) return false;
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // kill(0) counts zombies too; a member that has exited but is not yet reaped is gone for us.
  return groupMembers(pgid).length > 0 || !existsSync('/proc/self/stat');
}

/** Live (non-zombie) processes of group `pgid`, from /proc. */
function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return members;
  }
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z' && Number(fields[2]) === pgid) members.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  return members;
}

/**
 * Stops a generation and returns once every one of its processes is gone. Its live supervisor is
 * sent SIGTERM (it drains its server or router, stops its standby) and the whole group gets SIGKILL
 * after `graceMs`. Without a live supervisor, only processes proven ours are signalled: the
 * recorded server or router (our script, still in the supervisor's group).
 */
export async function stopGeneration(
  record: { supervisorPid: number | null; instanceId: string; pid: number | null },
  graceMs: number,
): Promise<void> {
  const pgid = record.supervisorPid;
  if (isSupervisorOf(pgid, record.instanceId)) {
    signal(pgid, 'SIGTERM');
    if (await waitUntil(() => !groupAlive(pgid), { timeoutMs: graceMs })) return;
    signalGroup(pgid, 'SIGKILL');
    await waitUntil(() => !groupAlive(pgid), { timeoutMs: 2_000 });
    return;
  }
  if (isServingChildOf(record.pid, pgid)) {
    signal(record.pid, 'SIGTERM');
    if (!(await waitForExit(record.pid, graceMs))) {
      signal(record.pid, 'SIGKILL');
      await waitForExit(record.pid, 2_000);
    }
  }
}

/** The built entry of a process the package runs (`dist/processes/<name>.js`). */
export function processScript(name: 'supervisor' | 'server-process' | 'router'): string {
  return fileURLToPath(new URL(`./processes/${name}.js`, import.meta.url));
}

/**
 * Starts a detached supervisor (its own process group, stdio to the log file) that outlives this
 * process, with an IPC channel on which it says when its child is ready; the caller disconnects
 * it then. The spec travels as JSON in argv; secrets travel in `env` only.
 */
export function spawnSupervisor(spec: object, logFile: string, env: Record<string, string>): ChildProcess {
  const log = openSync(logFile, 'a', 0o600);
  writeSync(log, `\n=== ${new Date().toISOString()} supervisor starting\n`);
  try {
    const child = spawn(process.execPath, [processScript('supervisor'), SUPERVISOR_MARKER, JSON.stringify(spec)], {
      detached: true,
      stdio: ['ignore', log, log, 'ipc'],
      env: { ...process.env, ...env },
    });
    if (child.pid === undefined) throw new Error('the supervisor process could not be started');
    return child;
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
