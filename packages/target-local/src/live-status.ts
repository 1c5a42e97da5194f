import type { Deployment, Endpoint } from '@berth/core';
import { isSupervisorOf } from './process-identity.js';
import type { DeploymentRecord, EndpointRecord, ProcessRecord } from './state/tables.js';
import { probeStatus } from './status-probe.js';

/**
 * Live health of what the state says runs, one rule for deployments and endpoints (`healthOf`),
 * fed by one live check: is the generation's supervisor alive, and does its child answer its
 * status route within 500 ms. Light on purpose — no spawning, no fetch, no @berth/core runtime —
 * because `berth list` loads it on its lean path (`lean-list.ts`).
 */

/** A live-status answer slower than this counts as no answer. */
export const STATUS_TIMEOUT_MS = 500;
/** A recovery claim ('starting' with no supervisor yet) older than this was abandoned. */
export const RECOVERY_CLAIM_MS = 30_000;

/** Running (or starting) by the record, with no live supervisor of its generation. */
export function needsRecovery(record: ProcessRecord, now = Date.now()): boolean {
  if (record.state !== 'running' && record.state !== 'starting') return false;
  // 'starting' with no supervisor is a claim (recovery or create) still spawning one. A claim that
  // old was abandoned: e.g. `berth list` began a recovery in the background and its process exited
  // first. Without this the row would stay 'starting' and unreachable for good.
  if (record.state === 'starting' && record.supervisorPid === null) return now - record.updatedAt >= RECOVERY_CLAIM_MS;
  return !isSupervisorOf(record.supervisorPid, record.instanceId);
}

export type DeploymentHealth = 'ready' | 'starting' | 'unhealthy' | 'crashed';

/** What the live check found. `status` is the child's own status answer, when it gave one. */
export interface LiveCheck {
  supervisorAlive: boolean;
  status: Record<string, unknown> | undefined;
}

/**
 * The one health rule: crashed when the record says so or nothing supervises it (unless a start is
 * under way); ready when the child answered; otherwise starting (by the record) or unhealthy
 * (alive but not answering).
 */
export function healthOf(record: Pick<ProcessRecord, 'state'>, live: LiveCheck): DeploymentHealth {
  if (record.state === 'crashed' || (!live.supervisorAlive && record.state !== 'starting')) return 'crashed';
  if (live.status !== undefined) return 'ready';
  return record.state === 'starting' ? 'starting' : 'unhealthy';
}

/** Asks the generation's child for its status — only when the record and the supervisor say it serves. */
export async function checkLive(record: ProcessRecord): Promise<LiveCheck> {
  const supervisorAlive = isSupervisorOf(record.supervisorPid, record.instanceId);
  if (!supervisorAlive || record.state === 'crashed' || !record.url) return { supervisorAlive, status: undefined };
  try {
    return { supervisorAlive, status: await probeStatus(record.url, record.controlToken, STATUS_TIMEOUT_MS) };
  } catch {
    return { supervisorAlive, status: undefined }; // no answer in time: unhealthy
  }
}

export async function describeDeployment(record: DeploymentRecord): Promise<Deployment> {
  const live = await checkLive(record);
  const state = healthOf(record, live);
  const status = live.status as { pid?: number; requestsServed?: number; startedAt?: string } | undefined;
  const startedAt = status?.startedAt === undefined ? record.startedAt : new Date(status.startedAt).getTime();
  return {
    name: record.name,
    flavor: record.flavor,
    modelUri: record.modelUri,
    url: record.url ?? undefined,
    state,
    version: record.version,
    // The live server's own answer first: the row lags a restart by a few ms.
    pid: status?.pid ?? record.pid ?? undefined,
    supervisorPid: record.supervisorPid ?? undefined,
    port: record.port ?? undefined,
    host: record.host,
    config: record.config,
    restarts: record.restarts,
    uptimeSeconds:
      state === 'ready' && startedAt ? Math.max(0, Math.round((Date.now() - startedAt) / 1000)) : undefined,
    requestsServed: status?.requestsServed,
    logFile: record.logFile,
    lastError: record.lastError ?? undefined,
    createdAt: new Date(record.createdAt).toISOString(),
  };
}

export async function describeEndpoint(record: EndpointRecord): Promise<Endpoint> {
  const live = await checkLive(record);
  const status = live.status as { members?: unknown[]; requestsServed?: number } | undefined;
  return {
    name: record.name,
    url: record.url ?? undefined,
    traffic: record.traffic,
    state: healthOf(record, live),
    port: record.port ?? undefined,
    pid: record.pid ?? undefined,
    supervisorPid: record.supervisorPid ?? undefined,
    members: status?.members,
    requestsServed: status?.requestsServed,
    restarts: record.restarts,
    logFile: record.logFile,
    createdAt: new Date(record.createdAt).toISOString(),
  };
}
