import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError } from '@berth/core';
import type BetterSqlite3 from 'better-sqlite3';
import { migrate, SCHEMA_VERSION, schemaVersionOf } from './schema-migrations.js';
import {
  type ColumnSpec,
  type ColumnTable,
  type DeploymentRecord,
  decodeRow,
  deploymentsTable,
  type EndpointRecord,
  endpointsTable,
  type InsertOf,
  type NewDeployment,
  type NewEndpoint,
  type NewRestart,
  type NewVersion,
  type RecordOf,
  type RestartRecord,
  restartsTable,
  type TableSpec,
  type VersionRecord,
  versionsTable,
} from './tables.js';

/**
 * The local target's state: one SQLite file per state directory (`<state-dir>/local.db`), in WAL
 * mode so readers never block the writer, with a busy timeout so concurrent CLI processes queue
 * instead of failing. Every read-modify-write runs in an IMMEDIATE transaction. Rows are read and
 * written through the column tables in `tables.ts`.
 */

type Row = Record<string, unknown>;

export type DeploymentPatch = Partial<Omit<DeploymentRecord, 'name' | 'createdAt' | 'updatedAt'>>;
export type EndpointPatch = Partial<Omit<EndpointRecord, 'name' | 'createdAt' | 'updatedAt'>>;
export type SupervisedKind = 'deployment' | 'endpoint';

/** Reads and writes one table's rows as records, with statements built from its column table. */
class TableAccess<C extends ColumnTable> {
  private readonly entries: [string, ColumnSpec<unknown>][];
  private readonly statements = new Map<string, BetterSqlite3.Statement>();

  constructor(
    private readonly db: BetterSqlite3.Database,
    readonly table: TableSpec<C>,
  ) {
    this.entries = Object.entries(table.columns);
  }

  /** Statements are prepared once per text: `list` runs the same few on every call. */
  private statement(sql: string): BetterSqlite3.Statement {
    let prepared = this.statements.get(sql);
    if (!prepared) {
      prepared = this.db.prepare(sql);
      this.statements.set(sql, prepared);
    }
    return prepared;
  }

  decode(row: Row): RecordOf<C> {
    return decodeRow(this.table, row);
  }

  insert(values: InsertOf<C>): void {
    const now = Date.now();
    const given = values as Record<string, unknown>;
    const row = this.entries.map(([field, column]) => {
      if (column.automatic === 'now') return now;
      if (column.automatic === 'null') return null;
      return column.encode(given[field] ?? null);
    });
    const names = this.entries.map(([, column]) => column.sql);
    this.statement(
      `INSERT INTO ${this.table.name} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})`,
    ).run(...row);
  }

  /** `SELECT *` filtered by `where` (column names), ordered by `order`. */
  select(where: Record<string, unknown> = {}, order = '', limit?: number): RecordOf<C>[] {
    const keys = Object.keys(where);
    const clause = keys.length > 0 ? ` WHERE ${keys.map((key) => `${key} = ?`).join(' AND ')}` : '';
    const tail = `${order ? ` ORDER BY ${order}` : ''}${limit === undefined ? '' : ` LIMIT ${limit}`}`;
    const rows = this.statement(`SELECT * FROM ${this.table.name}${clause}${tail}`).all(...Object.values(where));
    return (rows as Row[]).map((row) => this.decode(row));
  }

  /** Sets the given fields (and `updated_at` when the table has it) on rows matching `where`. */
  update(patch: Partial<RecordOf<C>>, where: Record<string, unknown>): number {
    const parts: string[] = [];
    const values: unknown[] = [];
    for (const [field, value] of Object.entries(patch)) {
      const column = this.table.columns[field];
      if (column === undefined || value === undefined) continue;
      parts.push(`${column.sql} = ?`);
      values.push(column.encode(value));
    }
    if ('updatedAt' in this.table.columns) {
      parts.push('updated_at = ?');
      values.push(Date.now());
    }
    if (parts.length === 0) return 0;
    const keys = Object.keys(where);
    const sql = `UPDATE ${this.table.name} SET ${parts.join(', ')} WHERE ${keys.map((key) => `${key} = ?`).join(' AND ')}`;
    return this.statement(sql).run(...values, ...Object.values(where)).changes;
  }

  delete(where: Record<string, unknown>): void {
    const keys = Object.keys(where);
    this.statement(`DELETE FROM ${this.table.name} WHERE ${keys.map((key) => `${key} = ?`).join(' AND ')}`).run(
      ...Object.values(where),
    );
  }
}

/**
 * A supervised entity's rows (deployments or endpoints): get, list, and patches guarded by the
 * process generation that owns the row.
 */
export class SupervisedRows<C extends ColumnTable> {
  constructor(private readonly access: TableAccess<C>) {}

  get(name: string): RecordOf<C> | undefined {
    return this.access.select({ name })[0];
  }

  list(): RecordOf<C>[] {
    return this.access.select({}, 'name');
  }

  /** Patches a row; with `ifInstance`, only while that process generation still owns it. */
  patch(name: string, patch: Partial<RecordOf<C>>, ifInstance?: string): boolean {
    const where = ifInstance === undefined ? { name } : { name, instance_id: ifInstance };
    return this.access.update(patch, where) > 0;
  }
}

export class StateStore {
  readonly directory: string;
  readonly deployments: SupervisedRows<typeof deploymentsTable.columns>;
  readonly endpoints: SupervisedRows<typeof endpointsTable.columns>;
  private readonly db: BetterSqlite3.Database;
  private readonly deploymentRows: TableAccess<typeof deploymentsTable.columns>;
  private readonly endpointRows: TableAccess<typeof endpointsTable.columns>;
  private readonly versionRows: TableAccess<typeof versionsTable.columns>;
  private readonly restartRows: TableAccess<typeof restartsTable.columns>;

  constructor(directory: string, db: BetterSqlite3.Database) {
    this.directory = directory;
    this.db = db;
    this.deploymentRows = new TableAccess(db, deploymentsTable);
    this.endpointRows = new TableAccess(db, endpointsTable);
    this.versionRows = new TableAccess(db, versionsTable);
    this.restartRows = new TableAccess(db, restartsTable);
    this.deployments = new SupervisedRows(this.deploymentRows);
    this.endpoints = new SupervisedRows(this.endpointRows);
  }

  get logsDirectory(): string {
    return join(this.directory, 'logs');
  }

  /** The rows of one kind of supervised process, for code that serves both kinds. */
  rowsOf(kind: SupervisedKind): SupervisedRows<typeof deploymentsTable.columns | typeof endpointsTable.columns> {
    return (kind === 'deployment' ? this.deployments : this.endpoints) as SupervisedRows<
      typeof deploymentsTable.columns | typeof endpointsTable.columns
    >;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Runs `work` in an IMMEDIATE transaction: the write lock is taken up front, so no upgrade deadlocks. */
  transaction<T>(work: () => T): T {
    return this.db.transaction(work).immediate();
  }

  // deployments ---------------------------------------------------------------------------------

  /** A new deployment and its first version; RESOURCE_ALREADY_EXISTS when the name is taken. */
  insertDeployment(record: NewDeployment, note: string | null): void {
    this.transaction(() => {
      if (this.deployments.get(record.name)) {
        throw new BerthError(`Deployment '${record.name}' already exists.`, {
          code: 'RESOURCE_ALREADY_EXISTS',
          suggestions: [
            `Update it with 'berth update -t local --name ${record.name} -m <model-uri>', or pick another name.`,
          ],
        });
      }
      this.assertPortFree(record.port, record.name);
      this.deploymentRows.insert(record);
      // A fresh deployment starts a fresh history, even if an old one of the same name was deleted.
      this.versionRows.delete({ deployment: record.name });
      this.versionRows.insert({
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
    const holder = [...this.deploymentRows.select({ port }), ...this.endpointRows.select({ port })].find(
      (row) => row.name !== owner,
    );
    if (holder !== undefined) {
      throw BerthError.invalidParameterValue(`Port ${port} is already used by '${holder.name}'.`, {
        suggestions: ['Leave out -C port= to get a free port, or pick another one.'],
      });
    }
  }

  /** Removes a deployment with its versions and restart history (its log is kept). */
  deleteDeploymentRecord(name: string): void {
    this.transaction(() => {
      this.deploymentRows.delete({ name });
      this.versionRows.delete({ deployment: name });
      this.restartRows.delete({ kind: 'deployment', name });
    });
  }

  /**
   * An exclusive lease on a deployment for one update at a time (across processes). Expired leases
   * (a CLI killed mid-update) are taken over.
   */
  acquireLease(name: string, owner: string, ttlMs: number): void {
    this.transaction(() => {
      const row = this.deployments.get(name);
      if (!row) return;
      if (row.leaseOwner && row.leaseOwner !== owner && (row.leaseExpires ?? 0) > Date.now()) {
        throw new BerthError(`Deployment '${name}' is being changed by another command; try again when it finishes.`, {
          code: 'RESOURCE_CONFLICT',
        });
      }
      this.deploymentRows.update({ leaseOwner: owner, leaseExpires: Date.now() + ttlMs }, { name });
    });
  }

  releaseLease(name: string, owner: string): void {
    this.deploymentRows.update({ leaseOwner: null, leaseExpires: null }, { name, lease_owner: owner });
  }

  // versions ------------------------------------------------------------------------------------

  /** Records a new version and makes it current, in one transaction. Returns its number. */
  commitVersion(name: string, version: Omit<NewVersion, 'deployment' | 'version'>, patch: DeploymentPatch): number {
    return this.transaction(() => {
      const row = this.db.prepare('SELECT MAX(version) AS v FROM versions WHERE deployment = ?').get(name) as Row;
      const next = Number(row.v ?? 0) + 1;
      this.versionRows.insert({ ...version, deployment: name, version: next });
      this.deployments.patch(name, {
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
      this.versionRows.update({ modelDirectory, flavor }, { deployment: name, version });
      this.deploymentRows.update({ modelDirectory, flavor }, { name, version });
    });
  }

  getVersion(name: string, version: number): VersionRecord | undefined {
    return this.versionRows.select({ deployment: name, version })[0];
  }

  listVersions(name: string): VersionRecord[] {
    return this.versionRows.select({ deployment: name }, 'version');
  }

  // restarts ------------------------------------------------------------------------------------

  /** Records one restart and counts it on the row — only while `instanceId` owns the row. */
  recordRestart(restart: NewRestart, instanceId: string): void {
    this.transaction(() => {
      this.restartRows.insert(restart);
      this.db
        .prepare(
          `UPDATE ${restart.kind === 'deployment' ? 'deployments' : 'endpoints'} SET restarts = restarts + 1, updated_at = ? WHERE name = ? AND instance_id = ?`,
        )
        .run(Date.now(), restart.name, instanceId);
    });
  }

  /** The latest restarts of a deployment or endpoint, newest first. */
  listRestarts(kind: SupervisedKind, name: string, limit = 10): RestartRecord[] {
    return this.restartRows.select({ kind, name }, 'at DESC, rowid DESC', limit);
  }

  // endpoints -----------------------------------------------------------------------------------

  insertEndpoint(record: NewEndpoint): void {
    this.transaction(() => {
      if (this.endpoints.get(record.name)) {
        throw new BerthError(`Endpoint '${record.name}' already exists.`, { code: 'RESOURCE_ALREADY_EXISTS' });
      }
      this.assertPortFree(record.port, record.name);
      this.endpointRows.insert(record);
    });
  }

  deleteEndpointRecord(name: string): void {
    this.transaction(() => {
      this.endpointRows.delete({ name });
      this.restartRows.delete({ kind: 'endpoint', name });
    });
  }

  /** Endpoints whose traffic names this deployment. */
  endpointsUsing(deployment: string): EndpointRecord[] {
    return this.endpoints.list().filter((endpoint) => Object.hasOwn(endpoint.traffic, deployment));
  }
}

/** Opens (creating if needed) the state database of a state directory. better-sqlite3 loads here, lazily. */
export async function openStateStore(directory: string): Promise<StateStore> {
  mkdirSync(join(directory, 'logs'), { recursive: true, mode: 0o700 });
  const { default: Database } = await import('better-sqlite3');
  const file = join(directory, 'local.db');
  // Created owner-only before SQLite opens it: its -wal/-shm files copy these permissions, and the
  // database holds control tokens.
  closeSync(openSync(file, 'a', 0o600));
  let db: BetterSqlite3.Database | undefined;
  try {
    db = new Database(file, { timeout: 30_000 });
    const version = schemaVersionOf(db);
    if (version > SCHEMA_VERSION) {
      throw new BerthError(
        `The local target's state in ${file} was written by a newer @berth/target-local (state schema ${version}; this one knows up to ${SCHEMA_VERSION}). It was left as it is.`,
        {
          code: 'INVALID_STATE',
          suggestions: ['Upgrade @berth/target-local (and @berth/cli) to the version that wrote it.'],
        },
      );
    }
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    migrate(db);
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
