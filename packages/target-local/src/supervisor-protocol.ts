/**
 * What travels between the launching client, a supervisor and its child: the supervisor's spec
 * (JSON in argv; secrets only in the environment) and the IPC messages of each side. Servers and
 * routers are started the same way: spawned with an IPC channel, told what to serve with a
 * `start` message, and answering `ready` once they listen.
 */

/** A scoring server: `startScoringServer` with these options (host and port come with `start`). */
export interface ServerInstructions {
  role: 'server';
  modelDirectory: string;
  /** Unset: the server picks the model's servable flavor. */
  flavor?: string;
  workers?: number;
  timeoutSeconds?: number;
  maxBatchSize?: number;
  maxBatchDelayMs?: number;
  allowCode?: boolean;
  /** Require this file's bearer token on the scoring routes. */
  authTokenFile?: string;
  /** A non-loopback host without a token, waived by the user (`allow_remote=true`). */
  allowUnauthenticated?: boolean;
}

/** An endpoint's router: it reads its traffic and members from the state directory. */
export interface RouterInstructions {
  role: 'router';
  stateDirectory: string;
  name: string;
}

export type ServeInstructions = ServerInstructions | RouterInstructions;

/** The supervisor's liveness probing of its child (see liveness.ts). */
export interface LivenessSpec {
  intervalMs: number;
  timeoutMs: number;
  /** Probes missed in a row before the child is killed as hung; 0: no probing. */
  failures: number;
  maxRssMb?: number;
}

/** What a supervisor needs to run and restart one scoring server or router. */
export interface SupervisorSpec {
  kind: 'deployment' | 'endpoint';
  name: string;
  stateDirectory: string;
  /** The process generation; the supervisor writes to the state row only while it owns it. */
  instanceId: string;
  host: string;
  /** First port to bind; 0 picks a free one. */
  port: number;
  /** A port the user chose (or a recovered generation's old one): kept across restarts. */
  fixedPort: boolean;
  /** Crash restarts allowed within a minute before the row is marked crashed. */
  restartLimit: number;
  /** Give up (exit 1) if the very first child dies before it is ready — the launching client reports it. */
  failFast: boolean;
  /** How long a SIGTERMed child may drain before SIGKILL. */
  drainMs: number;
  /** Exit if another generation owns the row for this long (a client died mid-update). */
  orphanGraceMs: number;
  liveness: LivenessSpec;
  /** The child's entry: `processes/server-process.js` or `processes/router.js`. */
  script: string;
  serve: ServeInstructions;
}

/** Supervisor → child: serve now. A server's standby has loaded its modules and waits for this. */
export interface StartMessage {
  type: 'start';
  host: string;
  port: number;
  serve: ServeInstructions;
}

/** Child → supervisor, and supervisor → launching client: serving at `url`. */
export interface ReadyMessage {
  type: 'ready';
  pid: number;
  port: number;
  url: string;
}

/** Server process → supervisor: the heavy modules are loaded; a `start` costs only the model load now. */
export interface StandbyReadyMessage {
  type: 'standby-ready';
}

export function isReadyMessage(message: unknown): message is ReadyMessage {
  const candidate = message as Partial<ReadyMessage> | null;
  return (
    candidate?.type === 'ready' &&
    typeof candidate.pid === 'number' &&
    typeof candidate.port === 'number' &&
    typeof candidate.url === 'string'
  );
}

export function isStartMessage(message: unknown): message is StartMessage {
  const candidate = message as Partial<StartMessage> | null;
  return candidate?.type === 'start' && typeof candidate.host === 'string' && typeof candidate.port === 'number';
}
