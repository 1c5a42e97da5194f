import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BaseDeploymentClient,
  BerthError,
  type CreateDeploymentOptions,
  type DeleteDeploymentOptions,
  type Deployment,
  type Endpoint,
  type EndpointOption,
  type PredictionInput,
  PredictionsResponse,
  type PredictOptions,
  type TargetConfig,
  type UpdateDeploymentOptions,
} from '@berth/core';
import { errorFromBody, httpRequest } from './http-request.js';
import {
  checkHost,
  DEFAULTS,
  type LocalConfig,
  PROCESS_KEYS,
  parseLocalConfig,
  processConfig,
} from './local-config.js';
import type { InspectedModel } from './model-inspection.js';
import { encodePrediction, splitPrediction } from './prediction-input.js';
import {
  fileSize,
  isServerOf,
  isSupervisorOf,
  logTail,
  routerScript,
  serverScript,
  signal,
  spawnSupervisor,
  stopSupervisor,
  waitForExit,
} from './process-control.js';
import { validateResourceName } from './resource-name.js';
import { stateDirectoryFor } from './state-directory.js';
import type { DeploymentPatch, DeploymentRecord, EndpointRecord, StateStore } from './state-store.js';
import type { ReadyAnnouncement, SupervisorSpec } from './supervisor-spec.js';

/** Extra predict options of the local target. */
export interface LocalPredictOptions extends PredictOptions {
  /** `predictStream`: rows per request (default 1000). */
  chunkSize?: number;
  /** `explain`: background rows (scoring-protocol input); default: the explained rows themselves. */
  background?: PredictionInput;
}

export type DeploymentHealth = 'ready' | 'starting' | 'unhealthy' | 'crashed';

/** A local model directory started before its validation finished (the two run in parallel). */
interface EarlyLaunch {
  directory: string;
  flavor: string | undefined;
  inspection: Promise<InspectedModel>;
}

const INSPECTION_FAILED = Symbol('inspection failed');

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

interface Generation {
  instanceId: string;
  supervisorPid: number;
  serverPid: number;
  port: number;
  url: string;
}

interface ServerStatus {
  pid?: number;
  requestsServed?: number;
  inFlight?: number;
  startedAt?: string | number;
  modelUri?: string;
  flavor?: string;
}

const DRAIN_MS = 10_000;
const HEALTH_TIMEOUT_MS = 500;
const RECOVERY_CLAIM_MS = 30_000;

function seconds(value: number | undefined, fallback: number): number {
  return Math.round((value ?? fallback) * 1000);
}

function deploymentMissing(name: string): BerthError {
  return new BerthError(`Deployment '${name}' does not exist.`, {
    code: 'RESOURCE_DOES_NOT_EXIST',
    suggestions: ["List deployments with 'berth list -t local'."],
  });
}

function endpointMissing(name: string): BerthError {
  return new BerthError(`Endpoint '${name}' does not exist.`, {
    code: 'RESOURCE_DOES_NOT_EXIST',
    suggestions: ["List endpoints with 'berth list-endpoints -t local'."],
  });
}

/**
 * Managed deployments on this machine. Each deployment is a detached supervisor process running a
 * scoring server on 127.0.0.1; state lives in `<state-dir>/local.db` (SQLite, WAL). Target URIs:
 * `local` (state under BERTH_HOME) and `local:/path/to/state-dir`.
 */
export class LocalDeploymentClient extends BaseDeploymentClient {
  readonly stateDirectory: string;
  private storePromise: Promise<StateStore> | undefined;
  /** Recoveries started without waiting (by list/get); `close` lets them finish first. */
  private readonly background = new Set<Promise<unknown>>();

  constructor(targetUri = 'local') {
    super(targetUri);
    this.stateDirectory = stateDirectoryFor(targetUri);
  }

  /** Closes the state database (long-lived programs; a CLI may just exit). */
  override async close(): Promise<void> {
    await Promise.allSettled([...this.background]);
    if (this.storePromise) (await this.storePromise).close();
    this.storePromise = undefined;
    const { releaseConnections } = await import('./http-request.js');
    releaseConnections();
  }

  private store(): Promise<StateStore> {
    this.storePromise ??= import('./state-store.js').then(({ openStateStore }) => openStateStore(this.stateDirectory));
    return this.storePromise;
  }

  private async inspect(modelUri: string, flavor: string | undefined): Promise<InspectedModel> {
    const { inspectModel } = await import('./model-inspection.js');
    return inspectModel(modelUri, flavor, join(this.stateDirectory, 'models'));
  }

  // deployments ---------------------------------------------------------------------------------

  async createDeployment(name: string, modelUri: string, options: CreateDeploymentOptions = {}): Promise<Deployment> {
    validateResourceName(name, 'deployment');
    const config = parseLocalConfig(options.config);
    if (config.rollback_to !== undefined || config.traffic !== undefined) {
      throw BerthError.invalidParameterValue('rollback_to and traffic are not create options for a deployment.', {
        suggestions: ['Use rollback_to with update, and traffic with create-endpoint.'],
      });
    }
    const host = checkHost(config, (message) => process.stderr.write(`${message}\n`));
    const store = await this.store();
    // A local model directory starts serving while @berth/model validates it (its import alone
    // costs a few hundred ms); a remote URI must be resolved first.
    const local = localModelDirectory(modelUri);
    const resolved = local === undefined ? await this.inspect(modelUri, options.flavor) : undefined;
    if (resolved) requireCodeAllowed(name, resolved.flavor, config.allow_code);
    const record: Omit<DeploymentRecord, 'createdAt' | 'updatedAt'> = {
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
      serverPid: null,
      instanceId: randomUUID(),
      controlToken: randomBytes(24).toString('hex'),
      logFile: join(store.logsDirectory, `${name}.log`),
      restarts: 0,
      lastError: null,
      startedAt: null,
    };
    store.insertDeployment(record, 'created');
    try {
      let launch: InspectedModel | EarlyLaunch;
      if (resolved) launch = resolved;
      else {
        const inspection = this.inspect(modelUri, options.flavor).then((model) => {
          // Refused here, before the server's own refusal: that one costs a full process start.
          requireCodeAllowed(name, model.flavor, config.allow_code);
          store.setModel(name, 1, model.directory, model.flavor);
          return model;
        });
        launch = { directory: local as string, flavor: options.flavor, inspection };
      }
      const generation = await this.startDeploymentGeneration(store, record, launch, config, {
        instanceId: record.instanceId,
        failFast: true,
        owned: true,
      });
      store.patchDeployment(name, this.generationPatch(generation), record.instanceId);
    } catch (error) {
      const current = store.getDeployment(name);
      if (current?.instanceId === record.instanceId) store.deleteDeploymentRecord(name);
      throw error;
    }
    return this.getDeployment(name);
  }

  async updateDeployment(name: string, options: UpdateDeploymentOptions = {}): Promise<Deployment> {
    const config = parseLocalConfig(options.config);
    if (config.traffic !== undefined) throw BerthError.invalidParameterValue('traffic is an endpoint option.');
    const store = await this.store();
    const lease = randomUUID();
    const existing = store.getDeployment(name);
    if (!existing) throw deploymentMissing(name);
    store.acquireLease(name, lease, 10 * 60_000);
    try {
      let record = await this.ensureRunning(store, existing, true);
      const target = await this.updateTarget(store, record, options, config);
      const merged = parseLocalConfig(target.config);
      requireCodeAllowed(name, target.model.flavor, merged.allow_code);
      const host = checkHost(merged, (message) => process.stderr.write(`${message}\n`));
      // A crashed deployment (restart limit reached) has no process to swap into: any update starts a new one.
      const crashed = record.state === 'crashed' || !isSupervisorOf(record.supervisorPid, record.instanceId);
      const restart =
        crashed ||
        PROCESS_KEYS.some(
          (key) => JSON.stringify(record.config[key] ?? null) !== JSON.stringify(target.config[key] ?? null),
        );
      const modelChanged = target.model.directory !== record.modelDirectory || target.model.flavor !== record.flavor;
      if (!restart && !modelChanged && target.model.modelUri === record.modelUri) return this.getDeployment(name);
      const readiness = seconds(config.readiness_timeout ?? merged.readiness_timeout, DEFAULTS.readinessTimeoutSeconds);
      if (restart) {
        const { generation, retire } = await this.replaceProcess(store, record, target.model, merged, host, readiness);
        store.commitVersion(name, this.versionOf(target), { ...this.generationPatch(generation), host, restarts: 0 });
        await this.reloadRouters(store, name);
        await retire();
      } else {
        await this.swapModel(record, target.model, readiness);
        store.commitVersion(name, this.versionOf(target), {});
      }
      record = store.getDeployment(name) ?? record;
      return this.getDeployment(record.name);
    } finally {
      store.releaseLease(name, lease);
    }
  }

  private versionOf(target: { model: InspectedModel; config: Record<string, unknown>; note: string }) {
    return {
      modelUri: target.model.modelUri,
      modelDirectory: target.model.directory,
      flavor: target.model.flavor,
      config: target.config,
      note: target.note,
    };
  }

  /** What an update asks for: a rollback restores a recorded version; otherwise changes merge onto the current one. */
  private async updateTarget(
    store: StateStore,
    record: DeploymentRecord,
    options: UpdateDeploymentOptions,
    config: LocalConfig,
  ): Promise<{ model: InspectedModel; config: Record<string, unknown>; note: string }> {
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
      const model = { ...(await this.inspect(version.modelDirectory, version.flavor)), modelUri: version.modelUri };
      return { model, config: version.config, note: `rollback to version ${version.version}` };
    }
    const changes = processConfig(config);
    const merged = { ...record.config, ...changes };
    if (config.port === 0) delete merged.port;
    const modelUri = options.modelUri ?? record.modelUri;
    const flavor = options.flavor ?? (options.modelUri === undefined ? record.flavor : undefined);
    const model =
      options.modelUri === undefined && options.flavor === undefined
        ? { modelUri, directory: record.modelDirectory, flavor: record.flavor, example: undefined }
        : await this.inspect(modelUri, flavor);
    return { model, config: merged, note: options.modelUri === undefined ? 'config update' : 'model update' };
  }

  /** Hot swap through the server's control route; on any failure the old model keeps serving. */
  private async swapModel(record: DeploymentRecord, model: InspectedModel, readinessMs: number): Promise<void> {
    if (!record.url) throw new BerthError(`Deployment '${record.name}' has no address yet.`, { code: 'INVALID_STATE' });
    let answer: Awaited<ReturnType<typeof httpRequest>>;
    try {
      answer = await httpRequest(`${record.url}/-/berth/swap`, {
        method: 'POST',
        headers: { authorization: `Bearer ${record.controlToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ modelUri: model.directory, flavor: model.flavor }),
        timeoutMs: readinessMs,
      });
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
  private async replaceProcess(
    store: StateStore,
    record: DeploymentRecord,
    model: InspectedModel,
    config: LocalConfig,
    host: string,
    readinessMs: number,
  ): Promise<{ generation: Generation; retire: () => Promise<void> }> {
    const instanceId = randomUUID();
    const samePort = config.port !== undefined && config.port !== 0 && config.port === record.port;
    if (!samePort) store.transaction(() => store.assertPortFree(config.port ?? null, record.name));
    const next = { ...record, host, config: processConfig(config) };
    const oldSupervisor = record.supervisorPid;
    if (samePort) {
      await stopSupervisor(oldSupervisor, record.instanceId, DRAIN_MS);
      try {
        const generation = await this.startDeploymentGeneration(store, next, model, config, {
          instanceId,
          failFast: true,
          owned: false,
          readinessMs,
        });
        return { generation, retire: async () => undefined };
      } catch (error) {
        const old = await this.inspect(record.modelDirectory, record.flavor).catch(() => undefined);
        if (old) {
          const generation = await this.startDeploymentGeneration(store, record, old, parseLocalConfig(record.config), {
            instanceId: record.instanceId,
            failFast: false,
            owned: true,
          }).catch(() => undefined);
          if (generation) store.patchDeployment(record.name, this.generationPatch(generation), record.instanceId);
        }
        throw error;
      }
    }
    const generation = await this.startDeploymentGeneration(store, next, model, config, {
      instanceId,
      failFast: true,
      owned: false,
      readinessMs,
    });
    return { generation, retire: () => stopSupervisor(oldSupervisor, record.instanceId, DRAIN_MS) };
  }

  private generationPatch(generation: Generation): DeploymentPatch {
    return {
      instanceId: generation.instanceId,
      supervisorPid: generation.supervisorPid,
      serverPid: generation.serverPid,
      port: generation.port,
      url: generation.url,
      state: 'running',
      startedAt: Date.now(),
      lastError: null,
    };
  }

  /** Starts a supervisor + scoring server and returns once it answers `/ping` and a real inference. */
  private async startDeploymentGeneration(
    store: StateStore,
    record: Pick<DeploymentRecord, 'name' | 'host' | 'port' | 'controlToken' | 'logFile' | 'config'>,
    model: InspectedModel | EarlyLaunch,
    config: LocalConfig,
    options: { instanceId: string; failFast: boolean; owned: boolean; readinessMs?: number; reusePort?: boolean },
  ): Promise<Generation> {
    const readinessMs = options.readinessMs ?? seconds(config.readiness_timeout, DEFAULTS.readinessTimeoutSeconds);
    const readyFile = join(store.runDirectory, `deployment-${record.name}-${options.instanceId}.json`);
    const fixedPort = config.port !== undefined && config.port !== 0;
    const spec: SupervisorSpec = {
      kind: 'deployment',
      name: record.name,
      stateDirectory: this.stateDirectory,
      instanceId: options.instanceId,
      readyFile,
      host: record.host,
      port: fixedPort ? (config.port as number) : options.reusePort ? (record.port ?? 0) : 0,
      fixedPort,
      restartLimit: config.restart_limit ?? DEFAULTS.restartLimit,
      failFast: options.failFast,
      drainMs: DRAIN_MS,
      orphanGraceMs: readinessMs + 60_000,
      server: {
        script: serverScript(),
        modelDirectory: model.directory,
        flavor: model.flavor,
        workers: config.workers,
        timeout: config.timeout,
        maxBatchSize: config.max_batch_size,
        maxBatchDelayMs: config.max_batch_delay_ms,
        allowCode: config.allow_code,
      },
    };
    const offset = fileSize(record.logFile);
    // A generation started again under the same id (the fallback of a failed same-port update)
    // must not be taken for ready on its predecessor's announcement.
    rmSync(readyFile, { force: true });
    const supervisorPid = spawnSupervisor(spec, record.logFile, {
      ...(config.env ?? {}),
      BERTH_CONTROL_TOKEN: record.controlToken,
    });
    if (options.owned) store.patchDeployment(record.name, { supervisorPid }, options.instanceId);
    try {
      const [ready, checked] = await Promise.all([
        this.waitForReady(readyFile, supervisorPid, options.instanceId, readinessMs, record.name),
        'inspection' in model
          ? model.inspection.catch((error: unknown) => {
              // A model that fails validation is the error to report, not the server's reaction to it.
              throw Object.assign(error as object, { [INSPECTION_FAILED]: true });
            })
          : model,
      ]);
      await this.verifyServing(ready.url, checked);
      return { instanceId: options.instanceId, supervisorPid, serverPid: ready.pid, port: ready.port, url: ready.url };
    } catch (error) {
      await stopSupervisor(supervisorPid, options.instanceId, 2_000);
      rmSync(readyFile, { force: true });
      if ((error as Record<symbol, unknown>)[INSPECTION_FAILED]) throw error;
      const tail = await logTail(record.logFile, offset);
      const message = BerthError.isInstance(error) || error instanceof Error ? error.message : String(error);
      throw new BerthError(
        `Deployment '${record.name}' did not become ready: ${message}${tail ? `\n--- log tail (${record.logFile}) ---\n${tail}` : ''}`,
        {
          code: BerthError.isInstance(error) ? error.code : 'INTERNAL_ERROR',
          suggestions: [`Full log: ${record.logFile}`],
          cause: error,
        },
      );
    }
  }

  private async waitForReady(
    readyFile: string,
    supervisorPid: number,
    instanceId: string,
    timeoutMs: number,
    name: string,
  ): Promise<ReadyAnnouncement> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return JSON.parse(readFileSync(readyFile, 'utf8')) as ReadyAnnouncement;
      } catch {
        // not yet written
      }
      if (!isSupervisorOf(supervisorPid, instanceId)) {
        throw new BerthError(`the server process for '${name}' exited before it was ready`, {
          code: 'INVALID_PARAMETER_VALUE',
        });
      }
      if (Date.now() > deadline) {
        throw new BerthError(`not ready within ${timeoutMs / 1000} s (raise -C readiness_timeout=<seconds>)`, {
          code: 'DEADLINE_EXCEEDED',
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** The readiness gate: `/ping`, then the model's own input example through `/invocations`. */
  private async verifyServing(url: string, model: InspectedModel): Promise<void> {
    const ping = await httpRequest(`${url}/ping`, { timeoutMs: 5_000 });
    if (ping.status !== 200) throw new BerthError(`/ping answered ${ping.status}`, { code: 'TEMPORARILY_UNAVAILABLE' });
    if (model.example === undefined) return;
    const answer = await httpRequest(`${url}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: model.example,
      timeoutMs: 30_000,
    });
    if (answer.status !== 200) {
      const { message } = errorFromBody(answer.text);
      throw new BerthError(
        `the readiness inference on the model's input example failed (${answer.status}): ${message}`,
        {
          code: 'INVALID_PARAMETER_VALUE',
        },
      );
    }
  }

  /**
   * A deployment recorded as running whose supervisor is gone (a reboot, a kill of the whole group)
   * is started again by whichever client touches it first; others wait for it.
   */
  private async ensureRunning(store: StateStore, record: DeploymentRecord, wait: boolean): Promise<DeploymentRecord> {
    if (!this.needsRecovery(record)) {
      // Restarting after a crash, or being recovered by another client: callers that need it serving wait.
      if (wait && record.state === 'starting') {
        await this.waitForRunning(store, record.name);
        return store.getDeployment(record.name) ?? record;
      }
      return record;
    }
    const instanceId = randomUUID();
    const claimed = store.transaction(() => {
      const fresh = store.getDeployment(record.name);
      if (!fresh || fresh.instanceId !== record.instanceId || !this.needsRecovery(fresh)) return false;
      store.patchDeployment(record.name, { instanceId, state: 'starting', supervisorPid: null, serverPid: null });
      return true;
    });
    if (claimed) {
      const config = parseLocalConfig(record.config);
      const start = async () => {
        // The resolved directory, not the URI: a relative path or a registry alias may mean
        // something else from this process.
        const model = { ...(await this.inspect(record.modelDirectory, record.flavor)), modelUri: record.modelUri };
        const generation = await this.startDeploymentGeneration(store, record, model, config, {
          instanceId,
          failFast: false,
          owned: true,
          reusePort: true,
        });
        store.patchDeployment(record.name, this.generationPatch(generation), instanceId);
      };
      const started = start().catch((error: Error) => {
        store.patchDeployment(record.name, { state: 'crashed', lastError: error.message }, instanceId);
        if (wait) throw error;
      });
      if (wait) await started;
      else {
        this.background.add(started);
        void started.finally(() => this.background.delete(started));
      }
    } else if (wait) {
      await this.waitForRunning(store, record.name);
    }
    return store.getDeployment(record.name) ?? record;
  }

  private needsRecovery(record: DeploymentRecord): boolean {
    if (record.state !== 'running' && record.state !== 'starting') return false;
    // 'starting' with no supervisor is a claim (recovery or create) still spawning one. A claim that
    // old was abandoned: e.g. `berth list` began a recovery in the background and its process exited
    // first. Without this the deployment would stay 'starting' and unreachable for good.
    if (record.state === 'starting' && record.supervisorPid === null) {
      return Date.now() - record.updatedAt >= RECOVERY_CLAIM_MS;
    }
    return !isSupervisorOf(record.supervisorPid, record.instanceId);
  }

  private async waitForRunning(store: StateStore, name: string): Promise<void> {
    const deadline = Date.now() + DEFAULTS.readinessTimeoutSeconds * 1000;
    while (Date.now() < deadline) {
      const row = store.getDeployment(name);
      if (!row || row.state === 'crashed') return;
      if (row.state === 'running' && row.url) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async deleteDeployment(name: string, _options: DeleteDeploymentOptions = {}): Promise<void> {
    const store = await this.store();
    const record = store.getDeployment(name);
    if (!record) return;
    this.checkEndpointsWithout(store, name);
    store.patchDeployment(name, { state: 'stopping' });
    await stopSupervisor(record.supervisorPid, record.instanceId, DRAIN_MS);
    // The server may outlive a supervisor killed with -9 (it keeps the supervisor's process group).
    if (isServerOf(record.serverPid, record.supervisorPid)) {
      signal(record.serverPid, 'SIGTERM');
      if (!(await waitForExit(record.serverPid, DRAIN_MS))) signal(record.serverPid, 'SIGKILL');
    }
    store.deleteDeploymentRecord(name);
    rmSync(join(store.runDirectory, `deployment-${name}-${record.instanceId}.json`), { force: true });
    await this.reloadRouters(store, name);
  }

  /**
   * An endpoint must keep something to route to: deleting the last deployment it sends traffic to
   * is refused; deleting one of several moves its share to the others, said on stderr.
   */
  private checkEndpointsWithout(store: StateStore, name: string): void {
    for (const endpoint of store.endpointsUsing(name)) {
      const traffic = store.getEndpoint(endpoint)?.traffic ?? {};
      const share = traffic[name] ?? 0;
      if (share <= 0) continue;
      const others = Object.entries(traffic).filter(
        ([member, weight]) => member !== name && weight > 0 && store.getDeployment(member) !== undefined,
      );
      const total = Object.values(traffic).reduce((sum, weight) => sum + Math.max(0, weight), 0);
      if (others.length === 0) {
        throw BerthError.invalidParameterValue(
          `Deployment '${name}' is the only deployment endpoint '${endpoint}' sends traffic to; deleting it would leave the endpoint with nothing to serve.`,
          {
            suggestions: [
              `Delete the endpoint first: berth delete-endpoint -t local --endpoint ${endpoint}`,
              `Or route its traffic elsewhere: berth update-endpoint -t local --endpoint ${endpoint} -C traffic=<deployment>:100`,
            ],
          },
        );
      }
      process.stderr.write(
        `Endpoint '${endpoint}' sent ${Math.round((share / total) * 100)}% of its traffic to '${name}'; ${others.map(([member]) => `'${member}'`).join(', ')} ${others.length === 1 ? 'takes' : 'take'} it now.\n`,
      );
    }
  }

  async listDeployments(options: EndpointOption = {}): Promise<Deployment[]> {
    const store = await this.store();
    let records = store.listDeployments();
    if (options.endpoint !== undefined) {
      const endpoint = store.getEndpoint(options.endpoint);
      if (!endpoint) throw endpointMissing(options.endpoint);
      records = records.filter((record) => Object.hasOwn(endpoint.traffic, record.name));
    }
    return Promise.all(
      records.map(async (record) => this.describe(await this.ensureRunning(store, record, false), false)),
    );
  }

  async getDeployment(name: string, _options: EndpointOption = {}): Promise<Deployment> {
    const store = await this.store();
    const record = store.getDeployment(name);
    if (!record) throw deploymentMissing(name);
    const running = await this.ensureRunning(store, record, false);
    const deployment = await this.describe(running, true);
    deployment.versions = store.listVersions(name).map((v) => ({
      version: v.version,
      modelUri: v.modelUri,
      flavor: v.flavor,
      config: v.config,
      note: v.note,
      createdAt: new Date(v.createdAt).toISOString(),
    }));
    return deployment;
  }

  private async status(url: string | null, token: string): Promise<ServerStatus | undefined> {
    if (!url) return undefined;
    try {
      const answer = await httpRequest(`${url}/-/berth/status`, {
        headers: { authorization: `Bearer ${token}` },
        timeoutMs: HEALTH_TIMEOUT_MS,
      });
      return answer.status === 200 ? (JSON.parse(answer.text) as ServerStatus) : undefined;
    } catch {
      return undefined;
    }
  }

  private async describe(record: DeploymentRecord, _detailed: boolean): Promise<Deployment> {
    const alive = isSupervisorOf(record.supervisorPid, record.instanceId);
    const status = alive && record.state !== 'crashed' ? await this.status(record.url, record.controlToken) : undefined;
    let health: DeploymentHealth;
    if (record.state === 'crashed' || (!alive && record.state !== 'starting')) health = 'crashed';
    else if (status) health = 'ready';
    else if (record.state === 'starting') health = 'starting';
    else health = 'unhealthy';
    const startedAt = status?.startedAt === undefined ? record.startedAt : new Date(status.startedAt).getTime();
    return {
      name: record.name,
      flavor: record.flavor,
      modelUri: record.modelUri,
      url: record.url ?? undefined,
      state: health,
      version: record.version,
      // The live server's own answer first: the row lags a restart by a few ms.
      pid: status?.pid ?? record.serverPid ?? undefined,
      supervisorPid: record.supervisorPid ?? undefined,
      port: record.port ?? undefined,
      host: record.host,
      config: record.config,
      restarts: record.restarts,
      uptimeSeconds:
        health === 'ready' && startedAt ? Math.max(0, Math.round((Date.now() - startedAt) / 1000)) : undefined,
      requestsServed: status?.requestsServed,
      logFile: record.logFile,
      lastError: record.lastError ?? undefined,
      createdAt: new Date(record.createdAt).toISOString(),
    };
  }

  // prediction ----------------------------------------------------------------------------------

  private async invocationsUrl(deploymentName: string | undefined, endpoint: string | undefined): Promise<string> {
    const store = await this.store();
    if ((deploymentName === undefined) === (endpoint === undefined)) {
      throw BerthError.invalidParameterValue('Give exactly one of a deployment name or an endpoint.');
    }
    if (endpoint !== undefined) {
      const record = store.getEndpoint(endpoint);
      if (!record) throw endpointMissing(endpoint);
      const running = await this.ensureEndpointRunning(store, record);
      if (!running.url)
        throw new BerthError(`Endpoint '${endpoint}' has no address.`, { code: 'TEMPORARILY_UNAVAILABLE' });
      return `${running.url}/invocations`;
    }
    const record = store.getDeployment(deploymentName as string);
    if (!record) throw deploymentMissing(deploymentName as string);
    const running = await this.ensureRunning(store, record, true);
    if (!running.url) {
      throw new BerthError(`Deployment '${running.name}' is ${running.state} and has no address.`, {
        code: 'TEMPORARILY_UNAVAILABLE',
      });
    }
    return `${running.url}/invocations`;
  }

  async predict(
    deploymentName: string | undefined,
    inputs: PredictionInput,
    options: PredictOptions = {},
  ): Promise<PredictionsResponse> {
    const url = await this.invocationsUrl(deploymentName, options.endpoint);
    return this.invoke(url, inputs, options.params);
  }

  private async invoke(
    url: string,
    inputs: PredictionInput,
    params?: Record<string, unknown>,
  ): Promise<PredictionsResponse> {
    const { body, contentType } = encodePrediction(inputs, params);
    let answer: Awaited<ReturnType<typeof httpRequest>>;
    try {
      answer = await httpRequest(url, {
        method: 'POST',
        headers: { 'content-type': contentType },
        body,
        timeoutMs: 120_000,
      });
    } catch (cause) {
      throw new BerthError(`Could not reach ${url}: ${(cause as Error).message}`, {
        code: 'TEMPORARILY_UNAVAILABLE',
        cause,
      });
    }
    if (answer.status !== 200) {
      const { code, message } = errorFromBody(answer.text);
      throw new BerthError(message, { code: code ?? (answer.status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST') });
    }
    return PredictionsResponse.fromJSON(answer.text);
  }

  /** A large batch sent as consecutive requests of `chunkSize` rows; one `{predictions}` chunk per request. */
  override async *predictStream(
    deploymentName: string | undefined,
    inputs: PredictionInput,
    options: LocalPredictOptions = {},
  ): AsyncIterable<Record<string, unknown>> {
    const size = options.chunkSize ?? 1000;
    if (!Number.isInteger(size) || size < 1)
      throw BerthError.invalidParameterValue('chunkSize must be a positive integer.');
    const url = await this.invocationsUrl(deploymentName, options.endpoint);
    for (const part of splitPrediction(inputs, size)) {
      const response = await this.invoke(url, part, options.params);
      yield { predictions: response.predictions };
    }
  }

  /**
   * Model-agnostic Shapley attributions for tabular input (see `explain.ts`): for each row, the
   * contribution of each feature to the predicted class's score, against a background sample.
   */
  override async explain(
    deploymentName: string | undefined,
    inputs: PredictionInput,
    options: LocalPredictOptions = {},
  ) {
    const url = await this.invocationsUrl(deploymentName, options.endpoint);
    const { explainTabular, toTable } = await import('./explain.js');
    let background = options.background;
    if (background === undefined && toTable(inputs).rows.length < 2) {
      // One row is its own background (all attributions 0): compare it with the model's input example
      // instead — through an endpoint, the example of its most weighted member.
      const store = await this.store();
      const traffic = deploymentName === undefined ? store.getEndpoint(options.endpoint ?? '')?.traffic : undefined;
      const member =
        deploymentName ?? (traffic ? Object.entries(traffic).sort(([, a], [, b]) => b - a)[0]?.[0] : undefined);
      const record = member === undefined ? undefined : store.getDeployment(member);
      const example = record ? (await this.inspect(record.modelDirectory, record.flavor)).example : undefined;
      if (example !== undefined) background = JSON.parse(example) as PredictionInput;
    }
    return explainTabular(inputs, background, (body) => this.invoke(url, body, options.params));
  }

  // endpoints -----------------------------------------------------------------------------------

  override async createEndpoint(name: string, config: TargetConfig = {}): Promise<Endpoint> {
    validateResourceName(name, 'endpoint');
    const parsed = parseLocalConfig(config);
    const traffic = this.checkTraffic(await this.store(), parsed);
    const host = checkHost(parsed, (message) => process.stderr.write(`${message}\n`));
    const store = await this.store();
    const record: Omit<EndpointRecord, 'createdAt' | 'updatedAt'> = {
      name,
      traffic,
      host,
      port: parsed.port ?? null,
      url: null,
      state: 'starting',
      supervisorPid: null,
      routerPid: null,
      instanceId: randomUUID(),
      controlToken: randomBytes(24).toString('hex'),
      logFile: join(store.logsDirectory, `endpoint-${name}.log`),
      restarts: 0,
    };
    store.insertEndpoint(record);
    try {
      await this.startRouter(store, record, parsed, false);
    } catch (error) {
      if (store.getEndpoint(name)?.instanceId === record.instanceId) store.deleteEndpointRecord(name);
      throw error;
    }
    return this.getEndpoint(name);
  }

  private checkTraffic(store: StateStore, config: LocalConfig): Record<string, number> {
    if (!config.traffic) {
      throw BerthError.invalidParameterValue(
        'An endpoint needs traffic: -C traffic=\'{"a":80,"b":20}\' or -C traffic=a:80,b:20.',
      );
    }
    const missing = Object.keys(config.traffic).filter((deployment) => !store.getDeployment(deployment));
    if (missing.length > 0) {
      throw new BerthError(`Traffic names deployments that do not exist: ${missing.join(', ')}.`, {
        code: 'RESOURCE_DOES_NOT_EXIST',
      });
    }
    return config.traffic;
  }

  private async startRouter(
    store: StateStore,
    record: Omit<EndpointRecord, 'createdAt' | 'updatedAt'>,
    config: LocalConfig,
    recovering: boolean,
  ): Promise<void> {
    const readyFile = join(store.runDirectory, `endpoint-${record.name}-${record.instanceId}.json`);
    const readinessMs = seconds(config.readiness_timeout, DEFAULTS.readinessTimeoutSeconds);
    const fixedPort = config.port !== undefined && config.port !== 0;
    const spec: SupervisorSpec = {
      kind: 'endpoint',
      name: record.name,
      stateDirectory: this.stateDirectory,
      instanceId: record.instanceId,
      readyFile,
      host: record.host,
      port: record.port ?? 0,
      fixedPort: fixedPort || recovering,
      restartLimit: config.restart_limit ?? DEFAULTS.restartLimit,
      failFast: !recovering,
      drainMs: DRAIN_MS,
      orphanGraceMs: readinessMs + 60_000,
      router: { script: routerScript() },
    };
    const offset = fileSize(record.logFile);
    const supervisorPid = spawnSupervisor(spec, record.logFile, { BERTH_CONTROL_TOKEN: record.controlToken });
    store.patchEndpoint(record.name, { supervisorPid }, record.instanceId);
    try {
      const ready = await this.waitForReady(readyFile, supervisorPid, record.instanceId, readinessMs, record.name);
      store.patchEndpoint(
        record.name,
        { routerPid: ready.pid, port: ready.port, url: ready.url, state: 'running' },
        record.instanceId,
      );
    } catch (error) {
      await stopSupervisor(supervisorPid, record.instanceId, 2_000);
      const tail = await logTail(record.logFile, offset);
      throw new BerthError(
        `Endpoint '${record.name}' did not start: ${(error as Error).message}${tail ? `\n${tail}` : ''}`,
        {
          code: 'INTERNAL_ERROR',
          cause: error,
        },
      );
    }
  }

  private async ensureEndpointRunning(store: StateStore, record: EndpointRecord): Promise<EndpointRecord> {
    if (record.state !== 'running' || isSupervisorOf(record.supervisorPid, record.instanceId)) return record;
    const instanceId = randomUUID();
    const claimed = store.transaction(() => {
      const fresh = store.getEndpoint(record.name);
      if (!fresh || fresh.instanceId !== record.instanceId) return false;
      store.patchEndpoint(record.name, { instanceId, state: 'starting', supervisorPid: null, routerPid: null });
      return true;
    });
    if (claimed) await this.startRouter(store, { ...record, instanceId }, parseLocalConfig({}), true);
    else {
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && store.getEndpoint(record.name)?.state === 'starting') {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    return store.getEndpoint(record.name) ?? record;
  }

  /** Weights change atomically: one row update, then the router swaps its whole table at once. */
  override async updateEndpoint(endpoint: string, config: TargetConfig = {}): Promise<Endpoint> {
    const store = await this.store();
    const record = store.getEndpoint(endpoint);
    if (!record) throw endpointMissing(endpoint);
    const parsed = parseLocalConfig(config);
    const unsupported = Object.keys(parsed).filter((key) => key !== 'traffic');
    if (unsupported.length > 0) {
      throw BerthError.invalidParameterValue(
        `update-endpoint changes traffic only (got ${unsupported.join(', ')}); delete and re-create the endpoint to change its address.`,
      );
    }
    const traffic = this.checkTraffic(store, parsed);
    store.patchEndpoint(endpoint, { traffic });
    const running = await this.ensureEndpointRunning(store, store.getEndpoint(endpoint) ?? record);
    await this.reloadRouter(running);
    return this.getEndpoint(endpoint);
  }

  private async reloadRouter(record: EndpointRecord): Promise<Record<string, unknown> | undefined> {
    if (!record.url) return undefined;
    try {
      const answer = await httpRequest(`${record.url}/-/berth/reload`, {
        method: 'POST',
        headers: { authorization: `Bearer ${record.controlToken}` },
        body: '',
        timeoutMs: 5_000,
      });
      return answer.status === 200 ? (JSON.parse(answer.text) as Record<string, unknown>) : undefined;
    } catch {
      return undefined; // the router re-reads state every 500 ms anyway
    }
  }

  private async reloadRouters(store: StateStore, deployment: string): Promise<void> {
    await Promise.all(
      store.endpointsUsing(deployment).map(async (name) => {
        const record = store.getEndpoint(name);
        if (record) await this.reloadRouter(record);
      }),
    );
  }

  override async deleteEndpoint(endpoint: string): Promise<void> {
    const store = await this.store();
    const record = store.getEndpoint(endpoint);
    if (!record) return;
    await stopSupervisor(record.supervisorPid, record.instanceId, DRAIN_MS);
    store.deleteEndpointRecord(endpoint);
    rmSync(join(store.runDirectory, `endpoint-${endpoint}-${record.instanceId}.json`), { force: true });
  }

  override async listEndpoints(): Promise<Endpoint[]> {
    const store = await this.store();
    return Promise.all(store.listEndpoints().map((record) => this.describeEndpoint(record)));
  }

  override async getEndpoint(endpoint: string): Promise<Endpoint> {
    const store = await this.store();
    const record = store.getEndpoint(endpoint);
    if (!record) throw endpointMissing(endpoint);
    return this.describeEndpoint(record);
  }

  private async describeEndpoint(record: EndpointRecord): Promise<Endpoint> {
    const alive = isSupervisorOf(record.supervisorPid, record.instanceId);
    let status: { members?: unknown[]; requestsServed?: number } | undefined;
    if (alive && record.url) {
      try {
        const answer = await httpRequest(`${record.url}/-/berth/status`, {
          headers: { authorization: `Bearer ${record.controlToken}` },
          timeoutMs: HEALTH_TIMEOUT_MS,
        });
        if (answer.status === 200) status = JSON.parse(answer.text) as typeof status;
      } catch {
        // reported as unhealthy below
      }
    }
    const state: DeploymentHealth =
      record.state === 'crashed' || (!alive && record.state !== 'starting')
        ? 'crashed'
        : status
          ? 'ready'
          : record.state === 'starting'
            ? 'starting'
            : 'unhealthy';
    return {
      name: record.name,
      url: record.url ?? undefined,
      traffic: record.traffic,
      state,
      port: record.port ?? undefined,
      pid: record.routerPid ?? undefined,
      supervisorPid: record.supervisorPid ?? undefined,
      members: status?.members,
      requestsServed: status?.requestsServed,
      restarts: record.restarts,
      logFile: record.logFile,
      createdAt: new Date(record.createdAt).toISOString(),
    };
  }
}

/** The js flavor runs the model directory's own code: only with `-C allow_code=true`. */
function requireCodeAllowed(name: string, flavor: string, allowCode: boolean | undefined): void {
  if (flavor !== 'js' || allowCode === true) return;
  throw new BerthError(
    `Deployment '${name}' would run model code: the 'js' flavor executes the model's own JavaScript, which is off unless allowed.`,
    { code: 'PERMISSION_DENIED', suggestions: ['Pass -C allow_code=true if you trust this model.'] },
  );
}
