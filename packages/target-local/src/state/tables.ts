/**
 * The local target's tables, one column table per entity. Each entry names the record field, its
 * SQLite column, its type and the schema version that added it; the record types, the DDL and
 * migrations (`schema-migrations.ts`), row decoding and every INSERT/UPDATE (`state-store.ts`) are all
 * derived from these tables, so a column is written down once.
 */

export interface ColumnSpec<T> {
  /** Column name in SQLite. */
  readonly sql: string;
  readonly type: 'TEXT' | 'INTEGER';
  readonly nullable: boolean;
  /** Schema version that added the column (a later one is added by `ALTER TABLE`). */
  readonly since: number;
  /** SQL default of a NOT NULL column added to existing rows. */
  readonly sqlDefault?: string;
  /** Filled by the store on insert (timestamps, leases): never passed by a caller. */
  readonly automatic?: 'now' | 'null';
  decode(value: unknown): T;
  encode(value: T): unknown;
}

type Options = { since?: number; sqlDefault?: string };

/** A column the store fills on insert: the time of the insert, or NULL. */
function automatic<C extends ColumnSpec<unknown>, A extends 'now' | 'null'>(
  spec: C,
  how: A,
): C & { readonly automatic: A } {
  return { ...spec, automatic: how };
}

function column<T>(
  sql: string,
  type: 'TEXT' | 'INTEGER',
  nullable: boolean,
  decode: (value: unknown) => T,
  encode: (value: T) => unknown,
  options: Options,
): ColumnSpec<T> {
  return { sql, type, nullable, since: options.since ?? 1, decode, encode, ...options };
}

const same = (value: unknown) => value;

function text<T extends string = string>(sql: string, options: Options = {}): ColumnSpec<T> {
  return column(sql, 'TEXT', false, (value) => String(value) as T, same, options);
}

function optionalText(sql: string, options: Options = {}): ColumnSpec<string | null> {
  return column(
    sql,
    'TEXT',
    true,
    (value) => (value === null || value === undefined ? null : String(value)),
    same,
    options,
  );
}

function integer(sql: string, options: Options = {}): ColumnSpec<number> {
  return column(sql, 'INTEGER', false, (value) => Number(value), same, options);
}

function optionalInteger(sql: string, options: Options = {}): ColumnSpec<number | null> {
  return column(
    sql,
    'INTEGER',
    true,
    (value) => (value === null || value === undefined ? null : Number(value)),
    same,
    options,
  );
}

function json<T>(sql: string, options: Options = {}): ColumnSpec<T> {
  return column(
    sql,
    'TEXT',
    false,
    (value) => JSON.parse(String(value)) as T,
    (value) => JSON.stringify(value),
    options,
  );
}

export type ColumnTable = Record<string, ColumnSpec<unknown>>;

/** The record a column table describes: one field per column, typed by its spec. */
export type RecordOf<C extends ColumnTable> = { [K in keyof C]: C[K] extends ColumnSpec<infer T> ? T : never };

/** What a caller passes to insert a row: everything but the columns the store fills itself. */
export type InsertOf<C extends ColumnTable> = Omit<
  RecordOf<C>,
  { [K in keyof C]: C[K] extends { readonly automatic: 'now' | 'null' } ? K : never }[keyof C]
>;

export interface TableSpec<C extends ColumnTable> {
  readonly name: string;
  readonly primaryKey: readonly (keyof C & string)[];
  /** Schema version that added the table. */
  readonly since: number;
  readonly columns: C;
}

/** A SQLite row of `table` as its record (every column decoded by its spec). */
export function decodeRow<C extends ColumnTable>(table: TableSpec<C>, row: Record<string, unknown>): RecordOf<C> {
  const record: Record<string, unknown> = {};
  for (const [field, column] of Object.entries(table.columns)) record[field] = column.decode(row[column.sql]);
  return record as RecordOf<C>;
}

/** What a supervised generation's state row says about it (the process columns). */
export type ProcessState = 'starting' | 'running' | 'stopping' | 'crashed' | 'failed';

/**
 * The columns every supervised process row shares — deployments and endpoints alike. `pid` is the
 * serving child (a scoring server or a router); only its SQLite column name differs.
 */
function processColumns(childPidColumn: string) {
  return {
    name: text('name'),
    host: text('host'),
    port: optionalInteger('port'),
    url: optionalText('url'),
    state: text<ProcessState>('state'),
    supervisorPid: optionalInteger('supervisor_pid'),
    pid: optionalInteger(childPidColumn),
    instanceId: text('instance_id'),
    controlToken: text('control_token'),
    logFile: text('log_file'),
    restarts: integer('restarts', { sqlDefault: '0' }),
    createdAt: automatic(integer('created_at'), 'now'),
    updatedAt: automatic(integer('updated_at'), 'now'),
  };
}

export const deploymentsTable = {
  name: 'deployments',
  primaryKey: ['name'],
  since: 1,
  columns: {
    ...processColumns('server_pid'),
    flavor: text('flavor'),
    modelUri: text('model_uri'),
    modelDirectory: text('model_directory'),
    config: json<Record<string, unknown>>('config'),
    version: integer('version'),
    lastError: optionalText('last_error'),
    startedAt: optionalInteger('started_at'),
    leaseOwner: automatic(optionalText('lease_owner'), 'null'),
    leaseExpires: automatic(optionalInteger('lease_expires'), 'null'),
  },
} as const satisfies TableSpec<ColumnTable>;

export const endpointsTable = {
  name: 'endpoints',
  primaryKey: ['name'],
  since: 1,
  columns: {
    ...processColumns('router_pid'),
    traffic: json<Record<string, number>>('traffic'),
    /** The process-shaping keys the endpoint was created with (host, port, liveness, auth). */
    config: json<Record<string, unknown>>('config', { since: 3, sqlDefault: "'{}'" }),
  },
} as const satisfies TableSpec<ColumnTable>;

export const versionsTable = {
  name: 'versions',
  primaryKey: ['deployment', 'version'],
  since: 1,
  columns: {
    deployment: text('deployment'),
    version: integer('version'),
    modelUri: text('model_uri'),
    modelDirectory: text('model_directory'),
    flavor: text('flavor'),
    config: json<Record<string, unknown>>('config'),
    note: optionalText('note'),
    createdAt: automatic(integer('created_at'), 'now'),
  },
} as const satisfies TableSpec<ColumnTable>;

export const restartsTable = {
  name: 'restarts',
  primaryKey: [],
  since: 1,
  columns: {
    kind: text<'deployment' | 'endpoint'>('kind'),
    name: text('name'),
    at: automatic(integer('at'), 'now'),
    exitCode: optionalInteger('exit_code'),
    signal: optionalText('signal'),
    /** Why the supervisor restarted it: 'exited', 'hung', 'memory'. */
    reason: optionalText('reason', { since: 2 }),
    /** The process that was replaced. */
    pid: optionalInteger('pid', { since: 2 }),
    /** What the supervisor saw, in words ("no answer to /ping for 3 probes in a row"). */
    detail: optionalText('detail', { since: 2 }),
  },
} as const satisfies TableSpec<ColumnTable>;

export const TABLES = [deploymentsTable, versionsTable, endpointsTable, restartsTable] as const;

export type DeploymentRecord = RecordOf<typeof deploymentsTable.columns>;
export type EndpointRecord = RecordOf<typeof endpointsTable.columns>;
export type VersionRecord = RecordOf<typeof versionsTable.columns>;
export type RestartRecord = RecordOf<typeof restartsTable.columns>;

export type NewDeployment = InsertOf<typeof deploymentsTable.columns>;
export type NewEndpoint = InsertOf<typeof endpointsTable.columns>;
export type NewVersion = InsertOf<typeof versionsTable.columns>;
export type NewRestart = InsertOf<typeof restartsTable.columns>;

/** The process columns both kinds of supervised rows share (what a supervisor reads and writes). */
export type ProcessRecord = RecordOf<ReturnType<typeof processColumns>>;
