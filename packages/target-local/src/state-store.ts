import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError } from '@berth/core';
import type BetterSqlite3 from 'better-sqlite3';

/**
 * The local target's state: one SQLite file per state directory (`<state-dir>/local.db`), in WAL
 * mode so readers never block the writer, with a busy timeout so concurrent CLI processes queue
 * instead of failing. Every read-modify-write runs in an IMMEDIATE transaction.
 */

export type DeploymentState = 'starting' | 'running' | 'stopping' | 'crashed' | 'failed';

export interface DeploymentRecord {
  name: string;
  flavor: string;
  modelUri: string;
  modelDirectory: string;
  config: Record<string, unknown>;
  version: number;
  state: DeploymentState;
  host: string;
  port: number | null;
  url: string | null;
  supervisorPid: number | null;
  serverPid: number | null;
  instanceId: string;
  controlToken: string;
  logFile: string;
  restarts: number;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
  startedAt: number | null;
}

export interface VersionRecord {
  deployment: string;
  version: number;
  modelUri: string;
  modelDirectory: string;
  flavor: string;
  config: Record<string, unknown>;
  note: string | null;
  createdAt: number;
}

export interface EndpointRecord {
  name: string;
  traffic: Record<string, number>;
  host: string;
  port: number | null;
  url: string | null;
  state: DeploymentState;
  supervisorPid: number | null;
  routerPid: number | null;
  instanceId: string;
  controlToken: string;
  logFile: string;
  restarts: number;
  createdAt: number;
  updatedAt: number;
}

const SCHEMA_VERSION = 1;

const MIGRATIONS: Record<number, string> = {
  1: `
    CREATE TABLE IF NOT EXISTS deployments (
      name TEXT PRIMARY KEY,
      flavor TEXT NOT NULL,
      model_uri TEXT NOT NULL,
      model_directory TEXT NOT NULL,
      config TEXT NOT NULL,
      version INTEGER NOT NULL,
      state TEXT NOT NULL,
      host TEXT NOT NULL,
      port INTEGER,
      url TEXT,
      supervisor_pid INTEGER,
      server_pid INTEGER,
      instance_id TEXT NOT NULL,
      control_token TEXT NOT NULL,
      log_file TEXT NOT NULL,
      restarts INTEGER NOT NULL DEFAULT 0,
      last_error TEXT,
      lease_owner TEXT,
      lease_expires INTEGER,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      started_at INTEGER
    );
    CREATE TABLE IF NOT EXISTS versions (
      deployment TEXT NOT NULL,
      version INTEGER NOT NULL,
      model_uri TEXT NOT NULL,
      model_directory TEXT NOT NULL,
      flavor TEXT NOT NULL,
      config TEXT NOT NULL,
      note TEXT,
      created_at INTEGER NOT NULL,
      PRIMARY KEY (deployment, version)
    );
    CREATE TABLE IF NOT EXISTS endpoints (
      name TEXT PRIMARY KEY,
      traffic TEXT NOT NULL,
      host TEXT NOT NULL,
      port INTEGER,
      url TEXT,
      state TEXT NOT NULL,
      supervisor_pid INTEGER,
      router_pid INTEGER,
      instance_id TEXT NOT NULL,
      control_token TEXT NOT NULL,
      log_file TEXT NOT NULL,
      restarts INTEGER NOT NULL DEFAULT 0,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS restarts (
      kind TEXT NOT NULL,
      name TEXT NOT NULL,
      at INTEGER NOT NULL,
      exit_code INTEGER,
      signal TEXT
    );
  `,
};

type Row = Record<string, unknown>;

function num(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

function toDeployment(row: Row): DeploymentRecord {
  return {
    name: String(row.name),
    flavor: String(row.flavor),
    modelUri: String(row.model_uri),
    modelDirectory: String(row.model_directory),
    config: JSON.parse(String(row.config)) as Record<string, unknown>,
    version: Number(row.version),
    state: row.state as DeploymentState,
    host: String(row.host),
    port: num(row.port),
    url: (row.url as string | null) ?? null,
    supervisorPid: num(row.supervisor_pid),
    serverPid: num(row.server_pid),
    instanceId: String(row.instance_id),
    controlToken: String(row.control_token),
    logFile: String(row.log_file),
    restarts: Number(row.restarts),
    lastError: (row.last_error as string | null) ?? null,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    startedAt: num(row.started_at),
  };
}

function toVersion(row: Row): VersionRecord {
  return {
    deployment: String(row.deployment),
    version: Number(row.version),
    modelUri: String(row.model_uri),
    modelDirectory: String(row.model_directory),
    flavor: String(row.flavor),
    config: JSON.parse(String(row.config)) as Record<string, unknown>,
    note: (row.note as string | null) ?? null,
    createdAt: Number(row.created_at),
  };
}

function toEndpoint(row: Row): EndpointRecord {
  return {
    name: String(row.name),
    traffic: JSON.parse(String(row.traffic)) as Record<string, number>,
    host: String(row.host),
    port: num(row.port),
    url: (row.url as string | null) ?? null,
    state: row.state as DeploymentState,
    supervisorPid: num(row.supervisor_pid),
    routerPid: num(row.router_pid),
    instanceId: String(row.instance_id),
    controlToken: String(row.control_token),
    logFile: String(row.log_file),
    restarts: Number(row.restarts),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

const DEPLOYMENT_COLUMNS: Record<string, string> = {
  flavor: 'flavor',
  modelUri: 'model_uri',
  modelDirectory: 'model_directory',
  config: 'config',
  version: 'version',
  state: 'state',
  host: 'host',
  port: 'port',
  url: 'url',
  supervisorPid: 'supervisor_pid',
  serverPid: 'server_pid',
  instanceId: 'instance_id',
  controlToken: 'control_token',
  logFile: 'log_file',
  restarts: 'restarts',
  lastError: 'last_error',
  startedAt: 'started_at',
};

const ENDPOINT_COLUMNS: Record<string, string> = {
  traffic: 'traffic',
  host: 'host',
  port: 'port',
  url: 'url',
  state: 'state',
  supervisorPid: 'supervisor_pid',
  routerPid: 'router_pid',
  instanceId: 'instance_id',
  controlToken: 'control_token',
  logFile: 'log_file',
  restarts: 'restarts',
};

function encode(value: unknown): unknown {
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value ?? null;
}

function setClause(
  patch: Record<string, unknown>,
  columns: Record<string, string>,
): { sql: string; values: unknown[] } {
  const parts: string[] = [];
  const values: unknown[] = [];
  for (const [key, value] of Object.entries(patch)) {
    const column = columns[key];
    if (column === undefined || value === undefined) continue;
    parts.push(`${column} = ?`);
    values.push(encode(value));
  }
  parts.push('updated_at = ?');
  values.push(Date.now());
  return { sql: parts.join(', '), values };
}

export type DeploymentPatch = Partial<Omit<DeploymentRecord, 'name' | 'createdAt' | 'updatedAt'>>;
export type EndpointPatch = Partial<Omit<EndpointRecord, 'name' | 'createdAt' | 'updatedAt'>>;

export class StateStore {
  readonly directory: string;
  private readonly db: BetterSqlite3.Database;

  constructor(directory: string, db: BetterSqlite3.Database) {
    this.directory = directory;
    this.db = db;
  }

  get logsDirectory(): string {
    return join(this.directory, 'logs');
  }

  get runDirectory(): string {
    return join(this.directory, 'run');
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Runs `work` in an IMMEDIATE transaction: the write lock is taken up front, so no upgrade deadlocks. */
  transaction<T>(work: () => T): T {
    return this.db.transaction(work).immediate();
  }

  // deployments ---------------------------------------------------------------------------------

  insertDeployment(record: Omit<DeploymentRecord, 'createdAt' | 'updatedAt'>, note: string | null): void {
    const now = Date.now();
    this.transaction(() => {
      const taken = this.db.prepare('SELECT 1 FROM deployments WHERE name = ?').get(record.name);
      if (taken) {
        throw new BerthError(`Deployment '${record.name}' already exists.`, {
          code: 'RESOURCE_ALREADY_EXISTS',
          suggestions: [
            `Update it with 'berth update -t local --name ${record.name} -m <model-uri>', or pick another name.`,
          ],
        });
      }
      this.assertPortFree(record.port, record.name);
      this.db
        .prepare(
          `INSERT INTO deployments (name, flavor, model_uri, model_directory, config, version, state, host, port, url,
             supervisor_pid, server_pid, instance_id, control_token, log_file, restarts, last_error, created_at, updated_at, started_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          record.name,
          record.flavor,
          record.modelUri,
          record.modelDirectory,
          JSON.stringify(record.config),
          record.version,
          record.state,
          record.host,
          record.port,
          record.url,
          record.supervisorPid,
          record.serverPid,
          record.instanceId,
          record.controlToken,
          record.logFile,
          record.restarts,
          record.lastError,
          now,
          now,
          record.startedAt,
        );
      // A fresh deployment starts a fresh history, even if an old one of the same name was deleted.
      this.db.prepare('DELETE FROM versions WHERE deployment = ?').run(record.name);
      this.insertVersion({
        deployment: record.name,
        version: record.version,
        modelUri: record.modelUri,
        modelDirectory: record.modelDirectory,
        flavor: record.flavor,
        config: record.config,
        note,
      });
    });
  }

  /** A fixed port may belong to one deployment or endpoint only; checked inside the caller's transaction. */
  assertPortFree(port: number | null, owner: string): void {
    if (port === null || port === 0) return;
    const deployment = this.db.prepare('SELECT name FROM deployments WHERE port = ? AND name != ?').get(port, owner) as
      | Row
      | undefined;
    const endpoint = this.db.prepare('SELECT name FROM endpoints WHERE port = ? AND name != ?').get(port, owner) as
      | Row
      | undefined;
    const holder = deployment?.name ?? endpoint?.name;
    if (holder !== undefined) {
      throw BerthError.invalidParameterValue(`Port ${port} is already used by '${String(holder)}'.`, {
        suggestions: ['Leave out -C port= to get a free port, or pick another one.'],
      });
    }
  }

  getDeployment(name: string): DeploymentRecord | undefined {
    const row = this.db.prepare('SELECT * FROM deployments WHERE name = ?').get(name) as Row | undefined;
    return row ? toDeployment(row) : undefined;
  }

  listDeployments(): DeploymentRecord[] {
    return (this.db.prepare('SELECT * FROM deployments ORDER BY name').all() as Row[]).map(toDeployment);
  }

  /** Patches a deployment; with `ifInstance`, only while that process generation still owns the row. */
  patchDeployment(name: string, patch: DeploymentPatch, ifInstance?: string): boolean {
    const { sql, values } = setClause(patch as Record<string, unknown>, DEPLOYMENT_COLUMNS);
    const where = ifInstance === undefined ? 'name = ?' : 'name = ? AND instance_id = ?';
    const args = ifInstance === undefined ? [name] : [name, ifInstance];
    return this.db.prepare(`UPDATE deployments SET ${sql} WHERE ${where}`).run(...values, ...args).changes > 0;
  }

  deleteDeploymentRecord(name: string): void {
    this.transaction(() => {
      this.db.prepare('DELETE FROM deployments WHERE name = ?').run(name);
      this.db.prepare('DELETE FROM versions WHERE deployment = ?').run(name);
    });
  }

  /**
   * An exclusive lease on a deployment for one update at a time (across processes). Expired leases
   * (a CLI killed mid-update) are taken over.
   */
  acquireLease(name: string, owner: string, ttlMs: number): void {
    this.transaction(() => {
      const row = this.db.prepare('SELECT lease_owner, lease_expires FROM deployments WHERE name = ?').get(name) as
        | Row
        | undefined;
      if (!row) return;
      if (row.lease_owner && row.lease_owner !== owner && Number(row.lease_expires) > Date.now()) {
        throw new BerthError(`Deployment '${name}' is being changed by another command; try again when it finishes.`, {
          code: 'RESOURCE_CONFLICT',
        });
      }
      this.db
        .prepare('UPDATE deployments SET lease_owner = ?, lease_expires = ? WHERE name = ?')
        .run(owner, Date.now() + ttlMs, name);
    });
  }

  releaseLease(name: string, owner: string): void {
    this.db
      .prepare('UPDATE deployments SET lease_owner = NULL, lease_expires = NULL WHERE name = ? AND lease_owner = ?')
      .run(name, owner);
  }

  // versions ------------------------------------------------------------------------------------

  private insertVersion(version: Omit<VersionRecord, 'createdAt'>): void {
    this.db
      .prepare(
        `INSERT INTO versions (deployment, version, model_uri, model_directory, flavor, config, note, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        version.deployment,
        version.version,
        version.modelUri,
        version.modelDirectory,
        version.flavor,
        JSON.stringify(version.config),
        version.note,
        Date.now(),
      );
  }

  /** Records a new version and makes it current, in one transaction. Returns its number. */
  commitVersion(
    name: string,
    version: Omit<VersionRecord, 'deployment' | 'version' | 'createdAt'>,
    patch: DeploymentPatch,
  ): number {
    return this.transaction(() => {
      const row = this.db.prepare('SELECT MAX(version) AS v FROM versions WHERE deployment = ?').get(name) as Row;
      const next = Number(row.v ?? 0) + 1;
      this.insertVersion({ ...version, deployment: name, version: next });
      this.patchDeployment(name, {
        ...patch,
        version: next,
        modelUri: version.modelUri,
        modelDirectory: version.modelDirectory,
        flavor: version.flavor,
        config: version.config,
      });
      return next;
    });
  }

  /** Records the validated model directory and flavor of a version that is also the current one. */
  setModel(name: string, version: number, modelDirectory: string, flavor: string): void {
    this.transaction(() => {
      this.db
        .prepare('UPDATE versions SET model_directory = ?, flavor = ? WHERE deployment = ? AND version = ?')
        .run(modelDirectory, flavor, name, version);
      this.db
        .prepare(
          'UPDATE deployments SET model_directory = ?, flavor = ?, updated_at = ? WHERE name = ? AND version = ?',
        )
        .run(modelDirectory, flavor, Date.now(), name, version);
    });
  }

  getVersion(name: string, version: number): VersionRecord | undefined {
    const row = this.db.prepare('SELECT * FROM versions WHERE deployment = ? AND version = ?').get(name, version) as
      | Row
      | undefined;
    return row ? toVersion(row) : undefined;
  }

  listVersions(name: string): VersionRecord[] {
    return (this.db.prepare('SELECT * FROM versions WHERE deployment = ? ORDER BY version').all(name) as Row[]).map(
      toVersion,
    );
  }

  // restarts ------------------------------------------------------------------------------------

  recordRestart(
    kind: 'deployment' | 'endpoint',
    name: string,
    instanceId: string,
    exit: { code: number | null; signal: string | null },
  ): void {
    const table = kind === 'deployment' ? 'deployments' : 'endpoints';
    this.transaction(() => {
      this.db
        .prepare('INSERT INTO restarts (kind, name, at, exit_code, signal) VALUES (?, ?, ?, ?, ?)')
        .run(kind, name, Date.now(), exit.code, exit.signal);
      this.db
        .prepare(`UPDATE ${table} SET restarts = restarts + 1, updated_at = ? WHERE name = ? AND instance_id = ?`)
        .run(Date.now(), name, instanceId);
    });
  }

  // endpoints -----------------------------------------------------------------------------------

  insertEndpoint(record: Omit<EndpointRecord, 'createdAt' | 'updatedAt'>): void {
    const now = Date.now();
    this.transaction(() => {
      if (this.db.prepare('SELECT 1 FROM endpoints WHERE name = ?').get(record.name)) {
        throw new BerthError(`Endpoint '${record.name}' already exists.`, { code: 'RESOURCE_ALREADY_EXISTS' });
      }
      this.assertPortFree(record.port, record.name);
      this.db
        .prepare(
          `INSERT INTO endpoints (name, traffic, host, port, url, state, supervisor_pid, router_pid, instance_id,
             control_token, log_file, restarts, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          record.name,
          JSON.stringify(record.traffic),
          record.host,
          record.port,
          record.url,
          record.state,
          record.supervisorPid,
          record.routerPid,
          record.instanceId,
          record.controlToken,
          record.logFile,
          record.restarts,
          now,
          now,
        );
    });
  }

  getEndpoint(name: string): EndpointRecord | undefined {
    const row = this.db.prepare('SELECT * FROM endpoints WHERE name = ?').get(name) as Row | undefined;
    return row ? toEndpoint(row) : undefined;
  }

  listEndpoints(): EndpointRecord[] {
    return (this.db.prepare('SELECT * FROM endpoints ORDER BY name').all() as Row[]).map(toEndpoint);
  }

  patchEndpoint(name: string, patch: EndpointPatch, ifInstance?: string): boolean {
    const { sql, values } = setClause(patch as Record<string, unknown>, ENDPOINT_COLUMNS);
    const where = ifInstance === undefined ? 'name = ?' : 'name = ? AND instance_id = ?';
    const args = ifInstance === undefined ? [name] : [name, ifInstance];
    return this.db.prepare(`UPDATE endpoints SET ${sql} WHERE ${where}`).run(...values, ...args).changes > 0;
  }

  deleteEndpointRecord(name: string): void {
    this.db.prepare('DELETE FROM endpoints WHERE name = ?').run(name);
  }

  /** Endpoints whose traffic names this deployment. */
  endpointsUsing(deployment: string): string[] {
    return this.listEndpoints()
      .filter((endpoint) => Object.hasOwn(endpoint.traffic, deployment))
      .map((endpoint) => endpoint.name);
  }
}

function migrate(db: BetterSqlite3.Database): void {
  const current = Number(db.pragma('user_version', { simple: true }));
  if (current >= SCHEMA_VERSION) return;
  db.transaction(() => {
    // Re-read inside the write lock: another process may have migrated meanwhile.
    const now = Number(db.pragma('user_version', { simple: true }));
    for (let version = now + 1; version <= SCHEMA_VERSION; version++) {
      const sql = MIGRATIONS[version];
      if (sql) db.exec(sql);
    }
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

/** Opens (creating if needed) the state database of a state directory. better-sqlite3 loads here, lazily. */
export async function openStateStore(directory: string, options: { readonly?: boolean } = {}): Promise<StateStore> {
  mkdirSync(join(directory, 'logs'), { recursive: true, mode: 0o700 });
  mkdirSync(join(directory, 'run'), { recursive: true, mode: 0o700 });
  const { default: Database } = await import('better-sqlite3');
  const file = join(directory, 'local.db');
  // Created owner-only before SQLite opens it: its -wal/-shm files copy these permissions, and the
  // database holds control tokens.
  if (!options.readonly) closeSync(openSync(file, 'a', 0o600));
  let db: BetterSqlite3.Database | undefined;
  try {
    db = new Database(file, { readonly: options.readonly === true, timeout: 30_000 });
    const version = Number(db.pragma('user_version', { simple: true }));
    if (version > SCHEMA_VERSION) {
      throw new BerthError(
        `The local target's state in ${file} was written by a newer @berth/target-local (state schema ${version}; this one knows up to ${SCHEMA_VERSION}). It was left as it is.`,
        {
          code: 'INVALID_STATE',
          suggestions: ['Upgrade @berth/target-local (and @berth/cli) to the version that wrote it.'],
        },
      );
    }
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      migrate(db);
    }
  } catch (error) {
    db?.close();
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && (code.startsWith('SQLITE_NOTADB') || code.startsWith('SQLITE_CORRUPT'))) {
      throw new BerthError(
        `The local target's state file ${file} is damaged (${(error as Error).message}). Berth left it as it is and changed nothing.`,
        {
          code: 'INVALID_STATE',
          cause: error,
          suggestions: [
            `Move it aside to start with empty state: mv ${file} ${file}.damaged (deployments it recorded keep running but are no longer managed; stop them by the pids in their logs under ${join(directory, 'logs')}).`,
          ],
        },
      );
    }
    throw error;
  }
  return new StateStore(directory, db);
}
