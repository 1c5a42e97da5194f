import type { Deployment, Endpoint, EndpointOption } from '@berth/core';
import { type DeploymentContext, deploymentMissing, endpointMissing, STATUS_TIMEOUT_MS } from './deployment-context.js';
import { isSupervisorOf } from './process-control.js';
import { ensureDeploymentRunning } from './recovery.js';
import type { StateStore } from './state/state-store.js';
import type { DeploymentRecord, EndpointRecord, ProcessRecord } from './state/tables.js';

/**
 * What `list` and `get` report: the state row joined with live health. Deployments and endpoints
 * follow one rule (`healthOf`), fed by the same live check: is the generation's supervisor alive,
 * and does its child answer its status route within 500 ms. A deployment found without its
 * supervisor is recovered in the background while it is reported.
 */

export async function listDeployments(context: DeploymentContext, options: EndpointOption = {}): Promise<Deployment[]> {
  const store = await context.store();
  let records = store.deployments.list();
  if (options.endpoint !== undefined) {
    const endpoint = store.endpoints.get(options.endpoint);
    if (!endpoint) throw endpointMissing(options.endpoint);
    records = records.filter((record) => Object.hasOwn(endpoint.traffic, record.name));
  }
  return Promise.all(
    records.map(async (record) => describeDeployment(await ensureDeploymentRunning(context, store, record, false))),
  );
}

export async function getDeployment(context: DeploymentContext, name: string): Promise<Deployment> {
  const store = await context.store();
  const record = store.deployments.get(name);
  if (!record) throw deploymentMissing(name);
  const running = await ensureDeploymentRunning(context, store, record, false);
  return { ...(await describeDeployment(running)), ...deploymentHistory(store, name) };
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
    const { controlRequest } = await import('./loopback-http.js');
    const answer = await controlRequest(
      `${record.url}/-/berth/status`,
      { headers: { authorization: `Bearer ${record.controlToken}` } },
      STATUS_TIMEOUT_MS,
    );
    const status = answer.status === 200 ? (JSON.parse(answer.text) as Record<string, unknown>) : undefined;
    return { supervisorAlive, status };
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

/** `get`'s extra detail: every version, and the latest restarts with their reasons. */
export function deploymentHistory(store: StateStore, name: string) {
  return {
    versions: store.listVersions(name).map((version) => ({
      version: version.version,
      modelUri: version.modelUri,
      flavor: version.flavor,
      config: version.config,
      note: version.note,
      createdAt: new Date(version.createdAt).toISOString(),
    })),
    restartHistory: restartHistory(store, 'deployment', name),
  };
}

export function restartHistory(store: StateStore, kind: 'deployment' | 'endpoint', name: string) {
  return store.listRestarts(kind, name).map((restart) => ({
    at: new Date(restart.at).toISOString(),
    reason: restart.reason ?? 'exited',
    ...(restart.detail ? { detail: restart.detail } : {}),
    ...(restart.pid !== null ? { pid: restart.pid } : {}),
    ...(restart.exitCode !== null ? { exitCode: restart.exitCode } : {}),
    ...(restart.signal !== null ? { signal: restart.signal } : {}),
  }));
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
