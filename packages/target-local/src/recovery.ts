import { randomUUID } from 'node:crypto';
import { BerthError } from '@berth/core';
import type { DeploymentContext } from './deployment-context.js';
import { type Generation, launchDeployment, launchRouter, servingPatch } from './generation-launcher.js';
import { needsRecovery } from './live-status.js';
import { DEFAULTS, parseLocalConfig } from './local-config.js';
import type { StateStore, SupervisedKind } from './state/state-store.js';
import type { DeploymentRecord, EndpointRecord, ProcessRecord } from './state/tables.js';
import { waitUntil } from './wait-until.js';

/**
 * Bringing back what the state says runs but does not: a deployment or endpoint recorded as
 * running whose supervisor is gone (a reboot, a killed process group) is started again — on its old
 * port — by whichever client touches it first. That client claims the row in a transaction; others
 * wait for the claim to finish. One rule for both kinds.
 */

/**
 * The deployment, running: recovered first if it needs it. With `wait`, also waits while it is
 * starting (a crash restart, another client's recovery); without, a recovery runs in the
 * background (the context's `close` awaits it) and the record is returned as it is now.
 */
export function ensureDeploymentRunning(
  context: DeploymentContext,
  store: StateStore,
  record: DeploymentRecord,
  wait: boolean,
): Promise<DeploymentRecord> {
  return ensureRunning(context, store, 'deployment', record, wait, async (instanceId) => {
    // The resolved directory, not the URI: a relative path or a registry alias may mean something
    // else from this process.
    const model = { ...(await context.inspect(record.modelDirectory, record.flavor)), modelUri: record.modelUri };
    return launchDeployment(context, {
      name: record.name,
      host: record.host,
      port: record.port,
      controlToken: record.controlToken,
      logFile: record.logFile,
      model,
      config: parseLocalConfig(record.config),
      instanceId,
      failFast: false,
      reusePort: true,
      onSpawned: (supervisorPid) => store.deployments.patch(record.name, { supervisorPid }, instanceId),
    });
  }) as Promise<DeploymentRecord>;
}

export function ensureEndpointRunning(
  context: DeploymentContext,
  store: StateStore,
  record: EndpointRecord,
  wait = true,
): Promise<EndpointRecord> {
  return ensureRunning(context, store, 'endpoint', record, wait, (instanceId) =>
    launchRouter(context, {
      name: record.name,
      host: record.host,
      port: record.port,
      controlToken: record.controlToken,
      logFile: record.logFile,
      config: parseLocalConfig(record.config),
      instanceId,
      recovering: true,
      onSpawned: (supervisorPid) => store.endpoints.patch(record.name, { supervisorPid }, instanceId),
    }),
  ) as Promise<EndpointRecord>;
}

async function ensureRunning(
  context: DeploymentContext,
  store: StateStore,
  kind: SupervisedKind,
  record: ProcessRecord,
  wait: boolean,
  relaunch: (instanceId: string) => Promise<Generation>,
): Promise<ProcessRecord> {
  const rows = store.rowsOf(kind);
  if (!needsRecovery(record)) {
    if (wait && record.state === 'starting') await waitForRunning(store, kind, record.name);
    return rows.get(record.name) ?? record;
  }
  const instanceId = randomUUID();
  const claimed = store.transaction(() => {
    const fresh = rows.get(record.name);
    if (!fresh || fresh.instanceId !== record.instanceId || !needsRecovery(fresh)) return false;
    rows.patch(record.name, { instanceId, state: 'starting', supervisorPid: null, pid: null });
    return true;
  });
  if (!claimed) {
    if (wait) await waitForRunning(store, kind, record.name);
    return rows.get(record.name) ?? record;
  }
  const started = relaunch(instanceId).then(
    (generation) => {
      const patch = servingPatch(generation);
      if (kind === 'deployment')
        store.deployments.patch(record.name, { ...patch, startedAt: Date.now(), lastError: null }, instanceId);
      else store.endpoints.patch(record.name, patch, instanceId);
    },
    (error: Error) => {
      if (kind === 'deployment')
        store.deployments.patch(record.name, { state: 'crashed', lastError: error.message }, instanceId);
      else store.endpoints.patch(record.name, { state: 'crashed' }, instanceId);
      if (wait) throw error;
    },
  );
  if (wait) await started;
  else context.track(started);
  return rows.get(record.name) ?? record;
}

/** Another process is starting it: wait (polling its row) until it runs, crashed, or went away. */
async function waitForRunning(store: StateStore, kind: SupervisedKind, name: string): Promise<void> {
  const rows = store.rowsOf(kind);
  const settled = await waitUntil(
    () => {
      const row = rows.get(name);
      return !row || row.state === 'crashed' || (row.state === 'running' && row.url !== null);
    },
    { timeoutMs: DEFAULTS.readinessTimeoutSeconds * 1000, intervalMs: 50 },
  );
  if (settled === undefined) {
    throw new BerthError(`'${name}' is still starting after ${DEFAULTS.readinessTimeoutSeconds} s.`, {
      code: 'TEMPORARILY_UNAVAILABLE',
      suggestions: [`See its log under ${store.logsDirectory}.`],
    });
  }
}
