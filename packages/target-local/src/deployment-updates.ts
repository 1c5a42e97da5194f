import { randomUUID } from 'node:crypto';
import { BerthError, type Deployment, type UpdateDeploymentOptions } from '@berth/core';
import { authHeaders } from './auth-token.js';
import {
  type DeploymentContext,
  DRAIN_MS,
  deploymentMissing,
  type Notify,
  requireCodeAllowed,
  seconds,
  UPDATE_LEASE_MS,
} from './deployment-context.js';
import { getDeployment } from './deployment-status.js';
import { reloadRoutersOf } from './endpoint-manager.js';
import { type EarlyModel, type Generation, launchDeployment, servingPatch } from './generation-launcher.js';
import {
  checkHost,
  DEFAULTS,
  type LocalConfig,
  PROCESS_KEYS,
  parseLocalConfig,
  processConfig,
} from './local-config.js';
import { controlRequest, errorFromBody } from './loopback-http.js';
import type { InspectedModel } from './model-inspection.js';
import { isSupervisorOf, stopGeneration } from './process-control.js';
import { ensureDeploymentRunning } from './recovery.js';
import type { StateStore } from './state/state-store.js';
import type { DeploymentRecord } from './state/tables.js';

/**
 * Updates of a deployment, one at a time (a lease in the state row). A new model with the same
 * process config is a hot swap inside the running server; a process-config change (or any update
 * of a crashed deployment) starts a new generation, switches the record and every endpoint to it,
 * then drains the old one. Every success records a version; a rollback restores one as a new
 * version, so history is never rewritten.
 */

/** What an update asks for: the model to serve, the merged config, and the version note. */
interface UpdateTarget {
  model: InspectedModel;
  /** The same model in a new process: its input example is read while the process starts. */
  exampleLater?: Promise<InspectedModel>;
  config: Record<string, unknown>;
  note: string;
}

export async function updateDeployment(
  context: DeploymentContext,
  name: string,
  options: UpdateDeploymentOptions,
  notify: Notify,
): Promise<Deployment> {
  const config = parseLocalConfig(options.config);
  if (config.traffic !== undefined) throw BerthError.invalidParameterValue('traffic is an endpoint option.');
  const store = await context.store();
  const existing = store.deployments.get(name);
  if (!existing) throw deploymentMissing(name);
  const lease = randomUUID();
  store.acquireLease(name, lease, UPDATE_LEASE_MS);
  try {
    const record = await ensureDeploymentRunning(context, store, existing, true);
    const target = await updateTarget(context, store, record, options, config);
    const merged = parseLocalConfig(target.config);
    requireCodeAllowed(name, target.model.flavor, merged.allow_code);
    const host = checkHost(merged, notify);
    if (merged.auth_token_file !== undefined) await authHeaders(merged);
    // A crashed deployment (restart limit reached) has no process to swap into: any update starts a new one.
    const crashed = record.state === 'crashed' || !isSupervisorOf(record.supervisorPid, record.instanceId);
    const restart =
      crashed ||
      PROCESS_KEYS.some(
        (key) => JSON.stringify(record.config[key] ?? null) !== JSON.stringify(target.config[key] ?? null),
      );
    const modelChanged = target.model.directory !== record.modelDirectory || target.model.flavor !== record.flavor;
    if (!restart && !modelChanged && target.model.modelUri === record.modelUri) return getDeployment(context, name);
    const readinessMs = seconds(config.readiness_timeout ?? merged.readiness_timeout, DEFAULTS.readinessTimeoutSeconds);
    if (restart) {
      const { generation, retire } = await replaceProcess(context, store, record, target, merged, host, readinessMs);
      store.commitVersion(name, versionOf(target), {
        ...servingPatch(generation),
        startedAt: Date.now(),
        lastError: null,
        host,
        restarts: 0,
      });
      await reloadRoutersOf(store, name);
      await retire();
    } else {
      await swapModel(record, target.model, readinessMs);
      store.commitVersion(name, versionOf(target), {});
    }
    return getDeployment(context, name);
  } finally {
    store.releaseLease(name, lease);
  }
}

function versionOf(target: UpdateTarget) {
  return {
    modelUri: target.model.modelUri,
    modelDirectory: target.model.directory,
    flavor: target.model.flavor,
    config: target.config,
    note: target.note,
  };
}

/** A rollback restores a recorded version; otherwise the changes merge onto the current one. */
async function updateTarget(
  context: DeploymentContext,
  store: StateStore,
  record: DeploymentRecord,
  options: UpdateDeploymentOptions,
  config: LocalConfig,
): Promise<UpdateTarget> {
  if (config.rollback_to !== undefined) {
    if (options.modelUri !== undefined) {
      throw BerthError.invalidParameterValue(
        'rollback_to restores a recorded version; do not pass a model URI with it.',
      );
    }
    const version = store.getVersion(record.name, config.rollback_to);
    if (!version) {
      const known = store.listVersions(record.name).map((v) => v.version);
      throw new BerthError(
        `Deployment '${record.name}' has no version ${config.rollback_to} (versions: ${known.join(', ')}).`,
        { code: 'RESOURCE_DOES_NOT_EXIST' },
      );
    }
    const model = { ...(await context.inspect(version.modelDirectory, version.flavor)), modelUri: version.modelUri };
    return { model, config: version.config, note: `rollback to version ${version.version}` };
  }
  const merged = { ...record.config, ...processConfig(config) };
  if (config.port === 0) delete merged.port;
  if (options.modelUri === undefined && options.flavor === undefined) {
    // The same model in a new process: it starts at once, and its input example (for the readiness
    // inference) is read meanwhile.
    const model = {
      modelUri: record.modelUri,
      directory: record.modelDirectory,
      flavor: record.flavor,
      example: undefined,
    };
    const exampleLater = context.inspect(record.modelDirectory, record.flavor);
    // Observed here so that a failure is not unhandled before the launch awaits it.
    exampleLater.catch(() => undefined);
    return { model, exampleLater, config: merged, note: 'config update' };
  }
  const modelUri = options.modelUri ?? record.modelUri;
  const flavor = options.flavor ?? (options.modelUri === undefined ? record.flavor : undefined);
  return { model: await context.inspect(modelUri, flavor, options.onProgress), config: merged, note: 'model update' };
}

/** Hot swap through the server's control route; on any failure the old model keeps serving. */
async function swapModel(record: DeploymentRecord, model: InspectedModel, readinessMs: number): Promise<void> {
  if (!record.url) throw new BerthError(`Deployment '${record.name}' has no address yet.`, { code: 'INVALID_STATE' });
  let answer: Awaited<ReturnType<typeof controlRequest>>;
  try {
    answer = await controlRequest(
      `${record.url}/-/berth/swap`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${record.controlToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ modelUri: model.directory, flavor: model.flavor }),
      },
      readinessMs,
    );
  } catch (cause) {
    throw new BerthError(
      `Update of '${record.name}' failed: the server did not answer the model swap (${(cause as Error).message}). Version ${record.version} is still deployed.`,
      { code: 'TEMPORARILY_UNAVAILABLE', cause },
    );
  }
  if (answer.status >= 200 && answer.status < 300) return;
  const { code, message } = errorFromBody(answer.text);
  throw new BerthError(
    `Update of '${record.name}' failed: the new model (${model.modelUri}) did not load or failed its readiness inference: ${message.replace(/\.+$/, '')}. Version ${record.version} (${record.modelUri}) keeps serving.`,
    { code: code ?? 'INVALID_PARAMETER_VALUE', suggestions: [`See the log: ${record.logFile}`] },
  );
}

/**
 * A config change that needs a new process: start the new generation on a new port, wait until it
 * answers, and hand back a `retire` that drains the old one once the record points at the new.
 * A fixed port that stays the same cannot be shared, so then the old process stops first (a short
 * gap; if the new one fails, the old config is started again).
 */
async function replaceProcess(
  context: DeploymentContext,
  store: StateStore,
  record: DeploymentRecord,
  target: UpdateTarget,
  config: LocalConfig,
  host: string,
  readinessMs: number,
): Promise<{ generation: Generation; retire: () => Promise<void> }> {
  const instanceId = randomUUID();
  const samePort = config.port !== undefined && config.port !== 0 && config.port === record.port;
  if (!samePort) store.transaction(() => store.assertPortFree(config.port ?? null, record.name));
  const model: InspectedModel | EarlyModel = target.exampleLater
    ? { directory: target.model.directory, flavor: target.model.flavor, inspection: target.exampleLater }
    : target.model;
  const launch = () =>
    launchDeployment(context, {
      name: record.name,
      host,
      port: record.port,
      controlToken: record.controlToken,
      logFile: record.logFile,
      model,
      config,
      instanceId,
      failFast: true,
      readinessMs,
    });
  if (!samePort) {
    const generation = await launch();
    return { generation, retire: () => stopGeneration(record, DRAIN_MS) };
  }
  await stopGeneration(record, DRAIN_MS);
  try {
    const generation = await launch();
    return { generation, retire: async () => undefined };
  } catch (error) {
    await restartPrevious(context, store, record);
    throw error;
  }
}

/** After a failed same-port update: the old config serves again under its old generation id. */
async function restartPrevious(context: DeploymentContext, store: StateStore, record: DeploymentRecord): Promise<void> {
  const old = await context.inspect(record.modelDirectory, record.flavor).catch(() => undefined);
  if (!old) return;
  const generation = await launchDeployment(context, {
    name: record.name,
    host: record.host,
    port: record.port,
    controlToken: record.controlToken,
    logFile: record.logFile,
    model: old,
    config: parseLocalConfig(record.config),
    instanceId: record.instanceId,
    failFast: false,
  }).catch(() => undefined);
  if (generation) {
    store.deployments.patch(
      record.name,
      { ...servingPatch(generation), startedAt: Date.now(), lastError: null },
      record.instanceId,
    );
  }
}
