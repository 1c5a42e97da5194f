import { readFileSync } from 'node:fs';

/**
 * Whether a pid from the state file is still one of ours — the checks `berth list` needs, kept
 * apart from `process-control.ts` (which loads node:child_process to spawn) so listing does not pay
 * for spawning. Pids wrap around quickly on busy machines, so a live pid alone proves nothing.
 */

export const SUPERVISOR_MARKER = 'berth-local-supervisor';

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

/** The command line of `pid` (NUL-separated), or undefined without /proc. */
export function commandLine(pid: number): string | undefined {
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
