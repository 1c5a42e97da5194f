import type BetterSqlite3 from 'better-sqlite3';
import { type ColumnSpec, type ColumnTable, TABLES, type TableSpec } from './tables.js';

/**
 * The state schema, derived from the column tables: a new database gets every table whole; an
 * older one gets the tables and columns added since its `user_version` (SQLite's `ALTER TABLE ADD
 * COLUMN`). The schema version is the newest `since` of any table or column.
 */

export const SCHEMA_VERSION = Math.max(
  ...TABLES.flatMap((table) => [
    table.since,
    ...Object.values(table.columns as ColumnTable).map((column) => column.since),
  ]),
);

function columnDefinition(column: ColumnSpec<unknown>): string {
  const notNull = column.nullable ? '' : ' NOT NULL';
  const fallback = column.sqlDefault === undefined ? '' : ` DEFAULT ${column.sqlDefault}`;
  return `${column.sql} ${column.type}${notNull}${fallback}`;
}

export function createTableSql(table: TableSpec<ColumnTable>): string {
  const columns = Object.values(table.columns).map(columnDefinition);
  const primaryKey = table.primaryKey.map((key) => (table.columns[key] as ColumnSpec<unknown>).sql);
  if (primaryKey.length > 0) columns.push(`PRIMARY KEY (${primaryKey.join(', ')})`);
  return `CREATE TABLE IF NOT EXISTS ${table.name} (\n  ${columns.join(',\n  ')}\n)`;
}

/** The statements that bring a database at schema `from` to SCHEMA_VERSION. */
export function migrationSql(from: number): string[] {
  const statements: string[] = [];
  for (const table of TABLES as readonly TableSpec<ColumnTable>[]) {
    if (table.since > from) {
      statements.push(createTableSql(table));
      continue;
    }
    for (const column of Object.values(table.columns)) {
      if (column.since <= from) continue;
      if (!column.nullable && column.sqlDefault === undefined) {
        throw new Error(`column ${table.name}.${column.sql} is NOT NULL without a default: it cannot be added`);
      }
      statements.push(`ALTER TABLE ${table.name} ADD COLUMN ${columnDefinition(column)}`);
    }
  }
  return statements;
}

export function schemaVersionOf(db: BetterSqlite3.Database): number {
  return Number(db.pragma('user_version', { simple: true }));
}

/** Brings the database to SCHEMA_VERSION; concurrent openers serialise on the write lock. */
export function migrate(db: BetterSqlite3.Database): void {
  if (schemaVersionOf(db) >= SCHEMA_VERSION) return;
  db.transaction(() => {
    // Re-read inside the write lock: another process may have migrated meanwhile.
    const current = schemaVersionOf(db);
    if (current >= SCHEMA_VERSION) return;
    for (const statement of migrationSql(current)) db.exec(statement);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
