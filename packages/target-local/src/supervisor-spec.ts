/** What a supervisor needs to run and restart one scoring server or router. Travels as JSON in argv. */
export interface SupervisorSpec {
  kind: 'deployment' | 'endpoint';
  name: string;
  stateDirectory: string;
  /** The process generation; the supervisor writes to the state row only while it owns it. */
  instanceId: string;
  /** Where the child announces `{pid, port, url}` once ready. */
  readyFile: string;
  host: string;
  /** First port to bind; 0 picks a free one. */
  port: number;
  /** A port the user chose: kept across restarts even if briefly busy. */
  fixedPort: boolean;
  /** Crash restarts allowed within a minute before the deployment is marked crashed. */
  restartLimit: number;
  /** Give up (exit 1) if the very first child dies before it is ready — the creating CLI reports it. */
  failFast: boolean;
  /** How long a SIGTERMed child may drain before SIGKILL. */
  drainMs: number;
  /** Exit if another generation owns the row for this long (a CLI died mid-update). */
  orphanGraceMs: number;
  server?: {
    /** `server-process.js`: runs startScoringServer when told to (see there). */
    script: string;
    modelDirectory: string;
    /** Unset: the server picks the model's servable flavor. */
    flavor?: string;
    workers?: number;
    timeout?: number;
    maxBatchSize?: number;
    maxBatchDelayMs?: number;
    allowCode?: boolean;
  };
  router?: { script: string };
}

export interface ReadyAnnouncement {
  pid: number;
  port: number;
  url: string;
}
