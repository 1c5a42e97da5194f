import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { BerthError } from '@berth/core';
import { authHeaders } from './auth-token.js';
import { type DeploymentContext, DRAIN_MS, seconds } from './deployment-context.js';
import { DEFAULTS, type LocalConfig } from './local-config.js';
import { controlRequest, errorFromBody } from './loopback-http.js';
import type { InspectedModel } from './model-inspection.js';
import { fileSize, logTail, processScript, signalGroup, spawnSupervisor } from './process-control.js';
import type { SupervisedKind } from './state/state-store.js';
import {
  isReadyMessage,
  type LivenessSpec,
  type ReadyMessage,
  type ServeInstructions,
  type ServerInstructions,
  type SupervisorSpec,
} from './supervisor-protocol.js';

/**
 * Starting a generation — a supervisor and its first child, for a deployment or an endpoint alike —
 * and waiting until it serves: the supervisor says `ready` over IPC, or exits, or the readiness
 * deadline passes (all three are events, nothing is polled). A deployment is then also checked
 * from outside: `/ping`, and the model's own input example through `/invocations`.
 */

export interface Generation {
  instanceId: string;
  supervisorPid: number;
  pid: number;
  port: number;
  url: string;
}

export interface LaunchPlan {
  kind: SupervisedKind;
  name: string;
  instanceId: string;
  host: string;
  /** 0: a free port. */
  port: number;
  fixedPort: boolean;
  restartLimit: number;
  /** Exit at the first failed start (a create); a recovery keeps retrying instead. */
  failFast: boolean;
  readinessMs: number;
  liveness: LivenessSpec;
  logFile: string;
  controlToken: string;
  /** Extra environment of the supervised child. */
  env?: Record<string, string>;
  serve: ServeInstructions;
  /** Called with the supervisor's pid as soon as it exists (to record it before it is ready). */
  onSpawned?: (supervisorPid: number) => void;
}

/** The marker an error carries when the model's own validation failed (report it as it is). */
export const MODEL_REJECTED = Symbol('model rejected');

/** What a launch waits for besides the child: work running alongside it, then a check of the ready URL. */
export interface LaunchGate<T> {
  /** Runs while the generation starts (a model's validation); its failure ends the launch at once. */
  alongside: Promise<T>;
  check: (url: string, alongside: T) => Promise<void>;
}

/**
 * Starts the generation and resolves once its child serves and the gate (a deployment's readiness
 * inference) passed. On any failure the generation is stopped and the error carries the tail of
 * its log.
 */
export async function launchGeneration<T>(
  context: DeploymentContext,
  plan: LaunchPlan,
  gate?: LaunchGate<T>,
): Promise<Generation> {
  const spec: SupervisorSpec = {
    kind: plan.kind,
    name: plan.name,
    stateDirectory: context.stateDirectory,
    instanceId: plan.instanceId,
    host: plan.host,
    port: plan.port,
    fixedPort: plan.fixedPort,
    restartLimit: plan.restartLimit,
    failFast: plan.failFast,
    drainMs: DRAIN_MS,
    orphanGraceMs: plan.readinessMs + 60_000,
    liveness: plan.liveness,
    script: processScript(plan.kind === 'deployment' ? 'server-process' : 'router'),
    serve: plan.serve,
  };
  const offset = fileSize(plan.logFile);
  const supervisor = spawnSupervisor(spec, plan.logFile, { ...plan.env, BERTH_CONTROL_TOKEN: plan.controlToken });
  const supervisorPid = supervisor.pid as number;
  try {
    plan.onSpawned?.(supervisorPid);
    const [ready, alongside] = await Promise.all([readyOf(supervisor, plan.readinessMs, plan.name), gate?.alongside]);
    await gate?.check(ready.url, alongside as T);
    return { instanceId: plan.instanceId, supervisorPid, pid: ready.pid, port: ready.port, url: ready.url };
  } catch (error) {
    await stopLaunched(supervisor);
    if ((error as Record<symbol, unknown>)[MODEL_REJECTED]) throw error;
    const tail = await logTail(plan.logFile, offset);
    const what = plan.kind === 'deployment' ? 'Deployment' : 'Endpoint';
    const message = error instanceof Error ? error.message : String(error);
    throw new BerthError(
      `${what} '${plan.name}' did not become ready: ${message}${tail ? `\n--- log tail (${plan.logFile}) ---\n${tail}` : ''}`,
      {
        code: BerthError.isInstance(error) ? error.code : 'INTERNAL_ERROR',
        suggestions: [`Full log: ${plan.logFile}`],
        cause: error,
      },
    );
  } finally {
    // The supervisor runs on without this process: let go of its channel and of our event loop.
    if (supervisor.connected) supervisor.disconnect();
    supervisor.unref();
  }
}

/** The supervisor's `ready`, or why it never came (it exited, or the deadline passed). */
function readyOf(supervisor: ChildProcess, timeoutMs: number, name: string): Promise<ReadyMessage> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      supervisor.off('message', onMessage);
      supervisor.off('exit', onExit);
    };
    const onMessage = (message: unknown) => {
      if (!isReadyMessage(message)) return;
      done();
      resolve(message);
    };
    const onExit = () => {
      done();
      reject(
        new BerthError(`the server process for '${name}' exited before it was ready`, {
          code: 'INVALID_PARAMETER_VALUE',
        }),
      );
    };
    const timer = setTimeout(() => {
      done();
      reject(
        new BerthError(`not ready within ${timeoutMs / 1000} s (raise -C readiness_timeout=<seconds>)`, {
          code: 'DEADLINE_EXCEEDED',
        }),
      );
    }, timeoutMs);
    supervisor.on('message', onMessage);
    supervisor.on('exit', onExit);
  });
}

/** Stops a supervisor this process started, and its group: SIGTERM, then SIGKILL after 2 s. */
async function stopLaunched(supervisor: ChildProcess): Promise<void> {
  if (supervisor.exitCode !== null || supervisor.signalCode !== null) return;
  const exited = once(supervisor, 'exit');
  supervisor.kill('SIGTERM');
  const timer = setTimeout(() => signalGroup(supervisor.pid, 'SIGKILL'), 2_000);
  await exited;
  clearTimeout(timer);
}

/** The readiness gate of a deployment: `/ping`, then the model's own input example through `/invocations`. */
export async function verifyServing(
  url: string,
  model: Pick<InspectedModel, 'example'>,
  headers: Record<string, string> = {},
): Promise<void> {
  const ping = await controlRequest(`${url}/ping`, {}, 5_000);
  if (ping.status !== 200) throw new BerthError(`/ping answered ${ping.status}`, { code: 'TEMPORARILY_UNAVAILABLE' });
  if (model.example === undefined) return;
  const answer = await controlRequest(
    `${url}/invocations`,
    { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: model.example },
    30_000,
  );
  if (answer.status !== 200) {
    const { message } = errorFromBody(answer.text);
    throw new BerthError(`the readiness inference on the model's input example failed (${answer.status}): ${message}`, {
      code: 'INVALID_PARAMETER_VALUE',
    });
  }
}

/** A local model directory started before its validation finished (the two run in parallel). */
export interface EarlyModel {
  directory: string;
  flavor: string | undefined;
  inspection: Promise<InspectedModel>;
}

export interface DeploymentLaunch {
  name: string;
  host: string;
  /** The recorded port; reused when `reusePort` (a recovery) and no fixed port is configured. */
  port: number | null;
  controlToken: string;
  logFile: string;
  model: InspectedModel | EarlyModel;
  config: LocalConfig;
  instanceId: string;
  failFast: boolean;
  readinessMs?: number;
  reusePort?: boolean;
  onSpawned?: (supervisorPid: number) => void;
}

/** Starts a deployment's supervisor and scoring server; resolves once it answers `/ping` and a real inference. */
export function launchDeployment(context: DeploymentContext, launch: DeploymentLaunch): Promise<Generation> {
  const { config, model } = launch;
  const fixedPort = config.port !== undefined && config.port !== 0;
  const port = fixedPort ? (config.port as number) : launch.reusePort ? (launch.port ?? 0) : 0;
  const serve: ServerInstructions = {
    role: 'server',
    modelDirectory: model.directory,
    ...(model.flavor ? { flavor: model.flavor } : {}),
    ...definedOnly({
      workers: config.workers,
      timeoutSeconds: config.timeout,
      maxBatchSize: config.max_batch_size,
      maxBatchDelayMs: config.max_batch_delay_ms,
      authTokenFile: config.auth_token_file,
    }),
    allowCode: config.allow_code === true,
    ...(config.allow_remote === true && config.auth_token_file === undefined ? { allowUnauthenticated: true } : {}),
  };
  const plan: LaunchPlan = {
    kind: 'deployment',
    name: launch.name,
    instanceId: launch.instanceId,
    host: launch.host,
    port,
    fixedPort,
    restartLimit: config.restart_limit ?? DEFAULTS.restartLimit,
    failFast: launch.failFast,
    readinessMs: launch.readinessMs ?? seconds(config.readiness_timeout, DEFAULTS.readinessTimeoutSeconds),
    liveness: livenessOf(config),
    logFile: launch.logFile,
    controlToken: launch.controlToken,
    env: config.env ?? {},
    serve,
    ...(launch.onSpawned ? { onSpawned: launch.onSpawned } : {}),
  };
  const alongside: Promise<InspectedModel> =
    'inspection' in model
      ? model.inspection.catch((error: unknown) => {
          // A model that fails validation is the error to report, not the server's reaction to it.
          throw Object.assign(error as object, { [MODEL_REJECTED]: true });
        })
      : Promise.resolve(model);
  const check = async (url: string, inspected: InspectedModel) =>
    verifyServing(url, inspected, await authHeaders(config));
  return launchGeneration(context, plan, { alongside, check });
}

export interface RouterLaunch {
  name: string;
  host: string;
  port: number | null;
  controlToken: string;
  logFile: string;
  config: LocalConfig;
  instanceId: string;
  /** A recovered router keeps its recorded port and keeps retrying instead of failing fast. */
  recovering: boolean;
  onSpawned?: (supervisorPid: number) => void;
}

/** Starts an endpoint's supervisor and router; resolves once the router listens. */
export function launchRouter(context: DeploymentContext, launch: RouterLaunch): Promise<Generation> {
  const fixedPort = launch.config.port !== undefined && launch.config.port !== 0;
  return launchGeneration(context, {
    kind: 'endpoint',
    name: launch.name,
    instanceId: launch.instanceId,
    host: launch.host,
    port: launch.port ?? 0,
    fixedPort: fixedPort || launch.recovering,
    restartLimit: launch.config.restart_limit ?? DEFAULTS.restartLimit,
    failFast: !launch.recovering,
    readinessMs: seconds(launch.config.readiness_timeout, DEFAULTS.readinessTimeoutSeconds),
    liveness: livenessOf(launch.config),
    logFile: launch.logFile,
    controlToken: launch.controlToken,
    serve: { role: 'router', stateDirectory: context.stateDirectory, name: launch.name },
    ...(launch.onSpawned ? { onSpawned: launch.onSpawned } : {}),
  });
}

/** The liveness probing a config asks for (`liveness_*`, `max_rss_mb`). */
export function livenessOf(config: LocalConfig): LivenessSpec {
  return {
    intervalMs: seconds(config.liveness_interval, DEFAULTS.livenessIntervalSeconds),
    timeoutMs: seconds(config.liveness_timeout, DEFAULTS.livenessTimeoutSeconds),
    failures: config.liveness_failures ?? DEFAULTS.livenessFailures,
    ...(config.max_rss_mb !== undefined ? { maxRssMb: config.max_rss_mb } : {}),
  };
}

/** The row patch of a generation that serves. */
export function servingPatch(generation: Generation) {
  return {
    instanceId: generation.instanceId,
    supervisorPid: generation.supervisorPid,
    pid: generation.pid,
    port: generation.port,
    url: generation.url,
    state: 'running' as const,
  };
}

function definedOnly<T extends Record<string, unknown>>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>;
}
