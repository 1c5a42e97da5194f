import type { Deployment, EndpointOption } from '@berth/core';
import { type DeploymentContext, deploymentMissing, endpointMissing } from './deployment-context.js';
import { describeDeployment } from './live-status.js';
import { ensureDeploymentRunning } from './recovery.js';
import type { StateStore } from './state/state-store.js';

/**
 * What `list` and `get` report: the state rows, each recovered in the background when its
 * supervisor is gone, joined with live health (`live-status.ts`, one rule for deployments and
 * endpoints). `berth list` without recovery to do is answered by `lean-list.ts` from the same
 * pieces, without loading this module.
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
