import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { BerthError, type Endpoint, type TargetConfig } from '@berth/core';
import { authHeaders } from './auth-token.js';
import { type DeploymentContext, DRAIN_MS, endpointMissing, type Notify } from './deployment-context.js';
import { launchRouter, servingPatch } from './generation-launcher.js';
import { describeEndpoint } from './live-status.js';
import { checkHost, type LocalConfig, parseLocalConfig, processConfig } from './local-config.js';
import { stopGeneration } from './process-control.js';
import { ensureEndpointRunning } from './recovery.js';
import { validateResourceName } from './resource-name.js';
import type { StateStore } from './state/state-store.js';
import type { EndpointRecord } from './state/tables.js';

/**
 * Endpoints: a supervised router with a stable address that splits traffic between deployments by
 * weight. Creating and deleting them, checking traffic against the deployments that exist, and
 * telling routers to re-read their table at once when a member changes.
 */

export async function createEndpoint(
  context: DeploymentContext,
  name: string,
  config: TargetConfig,
  notify: Notify,
): Promise<Endpoint> {
  validateResourceName(name, 'endpoint');
  const parsed = parseLocalConfig(config);
  const store = await context.store();
  const traffic = checkTraffic(store, parsed);
  const host = checkHost(parsed, notify);
  if (parsed.auth_token_file !== undefined) await authHeaders(parsed);
  const record = {
    name,
    traffic,
    config: processConfig(parsed),
    host,
    port: parsed.port ?? null,
    url: null,
    state: 'starting' as const,
    supervisorPid: null,
    pid: null,
    instanceId: randomUUID(),
    controlToken: randomBytes(24).toString('hex'),
    logFile: join(store.logsDirectory, `endpoint-${name}.log`),
    restarts: 0,
  };
  store.insertEndpoint(record);
  try {
    const generation = await launchRouter(context, {
      ...record,
      config: parsed,
      recovering: false,
      onSpawned: (supervisorPid) => store.endpoints.patch(name, { supervisorPid }, record.instanceId),
    });
    store.endpoints.patch(name, servingPatch(generation), record.instanceId);
  } catch (error) {
    if (store.endpoints.get(name)?.instanceId === record.instanceId) store.deleteEndpointRecord(name);
    throw error;
  }
  return getEndpoint(context, name);
}

/** Weights change atomically: one row update, then the router swaps its whole table at once. */
export async function updateEndpoint(
  context: DeploymentContext,
  name: string,
  config: TargetConfig,
): Promise<Endpoint> {
  const store = await context.store();
  const record = store.endpoints.get(name);
  if (!record) throw endpointMissing(name);
  const parsed = parseLocalConfig(config);
  const unsupported = Object.keys(parsed).filter((key) => key !== 'traffic');
  if (unsupported.length > 0) {
    throw BerthError.invalidParameterValue(
      `update-endpoint changes traffic only (got ${unsupported.join(', ')}); delete and re-create the endpoint to change its address.`,
    );
  }
  store.endpoints.patch(name, { traffic: checkTraffic(store, parsed) });
  const running = await ensureEndpointRunning(context, store, store.endpoints.get(name) ?? record);
  await reloadRouter(running);
  return getEndpoint(context, name);
}

export async function deleteEndpoint(context: DeploymentContext, name: string): Promise<void> {
  const store = await context.store();
  const record = store.endpoints.get(name);
  if (!record) return;
  await stopGeneration(record, DRAIN_MS);
  store.deleteEndpointRecord(name);
}

export async function listEndpoints(context: DeploymentContext): Promise<Endpoint[]> {
  const store = await context.store();
  return Promise.all(store.endpoints.list().map(describeEndpoint));
}

export async function getEndpoint(context: DeploymentContext, name: string): Promise<Endpoint> {
  const store = await context.store();
  const record = store.endpoints.get(name);
  if (!record) throw endpointMissing(name);
  return describeEndpoint(record);
}

function checkTraffic(store: StateStore, config: LocalConfig): Record<string, number> {
  if (!config.traffic) {
    throw BerthError.invalidParameterValue(
      'An endpoint needs traffic: -C traffic=\'{"a":80,"b":20}\' or -C traffic=a:80,b:20.',
    );
  }
  const missing = Object.keys(config.traffic).filter((deployment) => !store.deployments.get(deployment));
  if (missing.length > 0) {
    throw new BerthError(`Traffic names deployments that do not exist: ${missing.join(', ')}.`, {
      code: 'RESOURCE_DOES_NOT_EXIST',
    });
  }
  return config.traffic;
}

/** Tells a router to re-read its members now (it does so every 500 ms anyway). */
async function reloadRouter(record: EndpointRecord): Promise<void> {
  if (!record.url) return;
  try {
    const { controlRequest } = await import('./loopback-http.js');
    await controlRequest(
      `${record.url}/-/berth/reload`,
      { method: 'POST', headers: { authorization: `Bearer ${record.controlToken}` }, body: '' },
      5_000,
    );
  } catch {
    // the router re-reads state every 500 ms anyway
  }
}

/** Every router that sends traffic to `deployment` picks up its new address or absence at once. */
export async function reloadRoutersOf(store: StateStore, deployment: string): Promise<void> {
  await Promise.all(store.endpointsUsing(deployment).map(reloadRouter));
}

/**
 * An endpoint must keep something to route to: deleting the last deployment it sends traffic to
 * is refused; deleting one of several moves its share to the others, which `notify` says.
 */
export function checkEndpointsWithout(store: StateStore, name: string, notify: Notify): void {
  for (const endpoint of store.endpointsUsing(name)) {
    const share = endpoint.traffic[name] ?? 0;
    if (share <= 0) continue;
    const others = Object.entries(endpoint.traffic).filter(
      ([member, weight]) => member !== name && weight > 0 && store.deployments.get(member) !== undefined,
    );
    const total = Object.values(endpoint.traffic).reduce((sum, weight) => sum + Math.max(0, weight), 0);
    if (others.length === 0) {
      throw BerthError.invalidParameterValue(
        `Deployment '${name}' is the only deployment endpoint '${endpoint.name}' sends traffic to; deleting it would leave the endpoint with nothing to serve.`,
        {
          suggestions: [
            `Delete the endpoint first: berth delete-endpoint -t local --endpoint ${endpoint.name}`,
            `Or route its traffic elsewhere: berth update-endpoint -t local --endpoint ${endpoint.name} -C traffic=<deployment>:100`,
          ],
        },
      );
    }
    notify(
      `Endpoint '${endpoint.name}' sent ${Math.round((share / total) * 100)}% of its traffic to '${name}'; ${others.map(([member]) => `'${member}'`).join(', ')} ${others.length === 1 ? 'takes' : 'take'} it now.`,
    );
  }
}
