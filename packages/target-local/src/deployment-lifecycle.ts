import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BerthError, type CreateDeploymentOptions, type Deployment } from '@berth/core';
import { authHeaders } from './auth-token.js';
import { type DeploymentContext, DRAIN_MS, type Notify, requireCodeAllowed } from './deployment-context.js';
import { getDeployment } from './deployment-status.js';
import { checkEndpointsWithout, reloadRoutersOf } from './endpoint-manager.js';
import { type EarlyModel, launchDeployment, servingPatch } from './generation-launcher.js';
import { checkHost, parseLocalConfig, processConfig } from './local-config.js';
import type { InspectedModel } from './model-inspection.js';
import { stopGeneration } from './process-control.js';
import { validateResourceName } from './resource-name.js';
import type { NewDeployment } from './state/tables.js';

/**
 * Creating and deleting deployments. A create records the deployment, starts its generation and
 * returns once it serves (or removes the record again); a delete drains and stops every process
 * of the deployment and returns only when they are gone.
 */

/** A model URI that names an existing local model directory (a path or file: URI), made absolute. */
function localModelDirectory(modelUri: string): string | undefined {
  let path: string | undefined;
  if (modelUri.startsWith('file:')) {
    try {
      path = fileURLToPath(modelUri);
    } catch {
      return undefined;
    }
  } else if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(modelUri)) path = resolve(modelUri);
  return path !== undefined && existsSync(join(path, 'MLmodel')) ? path : undefined;
}

export async function createDeployment(
  context: DeploymentContext,
  name: string,
  modelUri: string,
  options: CreateDeploymentOptions,
  notify: Notify,
): Promise<Deployment> {
  validateResourceName(name, 'deployment');
  const config = parseLocalConfig(options.config);
  if (config.rollback_to !== undefined || config.traffic !== undefined) {
    throw BerthError.invalidParameterValue('rollback_to and traffic are not create options for a deployment.', {
      suggestions: ['Use rollback_to with update, and traffic with create-endpoint.'],
    });
  }
  // Said to the caller now and kept for the answer, where a caller without a progress hook sees it.
  const warnings: string[] = [];
  const host = checkHost(config, (message) => {
    warnings.push(message);
    notify(message);
  });
  // A token file that cannot be read, or holds no usable token, is refused before anything starts.
  if (config.auth_token_file !== undefined) await authHeaders(config);
  const store = await context.store();
  // A local model directory starts serving while @berth/model validates it (its import alone
  // costs a few hundred ms); a remote URI must be resolved first.
  const local = localModelDirectory(modelUri);
  const resolved =
    local === undefined ? await context.inspect(modelUri, options.flavor, options.onProgress) : undefined;
  if (resolved) requireCodeAllowed(name, resolved.flavor, config.allow_code);
  const record: NewDeployment = {
    name,
    flavor: resolved?.flavor ?? options.flavor ?? '',
    modelUri,
    modelDirectory: resolved?.directory ?? (local as string),
    config: processConfig(config),
    version: 1,
    state: 'starting',
    host,
    port: config.port ?? null,
    url: null,
    supervisorPid: null,
    pid: null,
    instanceId: randomUUID(),
    controlToken: randomBytes(24).toString('hex'),
    logFile: join(store.logsDirectory, `${name}.log`),
    restarts: 0,
    lastError: null,
    startedAt: null,
  };
  store.insertDeployment(record, 'created');
  try {
    let model: InspectedModel | EarlyModel;
    if (resolved) model = resolved;
    else {
      const inspection = context.inspect(modelUri, options.flavor).then((inspected) => {
        // Refused here, before the server's own refusal: that one costs a full process start.
        requireCodeAllowed(name, inspected.flavor, config.allow_code);
        store.setModel(name, 1, inspected.directory, inspected.flavor);
        return inspected;
      });
      model = { directory: local as string, flavor: options.flavor, inspection };
    }
    const generation = await launchDeployment(context, {
      ...record,
      model,
      config,
      failFast: true,
      onSpawned: (supervisorPid) => store.deployments.patch(name, { supervisorPid }, record.instanceId),
    });
    store.deployments.patch(
      name,
      { ...servingPatch(generation), startedAt: Date.now(), lastError: null },
      record.instanceId,
    );
  } catch (error) {
    if (store.deployments.get(name)?.instanceId === record.instanceId) store.deleteDeploymentRecord(name);
    throw error;
  }
  const created = await getDeployment(context, name);
  return warnings.length > 0 ? { ...created, warnings } : created;
}

export async function deleteDeployment(context: DeploymentContext, name: string, notify: Notify): Promise<void> {
  const store = await context.store();
  const record = store.deployments.get(name);
  if (!record) return;
  checkEndpointsWithout(store, name, notify);
  store.deployments.patch(name, { state: 'stopping' });
  await stopGeneration(record, DRAIN_MS);
  store.deleteDeploymentRecord(name);
  await reloadRoutersOf(store, name);
}
