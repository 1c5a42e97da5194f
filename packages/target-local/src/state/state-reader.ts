import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { SCHEMA_VERSION, schemaVersionOf } from './schema-migrations.js';
import { type DeploymentRecord, decodeRow, deploymentsTable } from './tables.js';

/**
 * The deployments as the state file holds them, read through a read-only connection — what
 * `berth list` needs, without what opening the store does (creating the folder and file, WAL
 * setup, migrations). Returns undefined whenever only the store can answer: no state file yet, a
 * schema this copy does not read as it is, better-sqlite3 not where expected, any SQLite error
 * (damage, a lock held too long). The caller then goes the full way, which says what is wrong.
 *
 * In `dist/list-deployments.cjs` better-sqlite3's JavaScript is bundled (its 13 CommonJS files,
 * resolved through pnpm's folders, cost ≈ 35 M instructions to load, about half a Node start) and
 * its addon is loaded by path (`nativeBinding`), not through the `bindings` package's search. The
 * bundled copy is used only with the installed addon of the same version.
 */
export function readDeployments(directory: string): DeploymentRecord[] | undefined {
  const file = join(directory, 'local.db');
  if (!existsSync(file)) return undefined;
  const nativeBinding = addonPath();
  if (nativeBinding === undefined) return undefined;
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true, timeout: 30_000, nativeBinding });
    if (schemaVersionOf(db) !== SCHEMA_VERSION) return undefined;
    const rows = db.prepare(`SELECT * FROM ${deploymentsTable.name} ORDER BY name`).all() as Record<string, unknown>[];
    return rows.map((row) => decodeRow(deploymentsTable, row));
  } catch {
    return undefined;
  } finally {
    db?.close();
  }
}

/** Set by the CommonJS build to the version of the better-sqlite3 JavaScript it bundles. */
declare const __BUNDLED_BETTER_SQLITE3__: string | undefined;

/** The installed better-sqlite3 addon, when it is where its install puts it and matches the bundled code. */
function addonPath(): string | undefined {
  try {
    const resolveFrom = typeof require === 'function' ? require : createRequire(import.meta.url);
    const manifestFile = resolveFrom.resolve('better-sqlite3/package.json');
    const bundled = typeof __BUNDLED_BETTER_SQLITE3__ === 'string' ? __BUNDLED_BETTER_SQLITE3__ : undefined;
    if (bundled !== undefined) {
      const { version } = JSON.parse(readFileSync(manifestFile, 'utf8')) as { version?: unknown };
      if (version !== bundled) return undefined;
    }
    const addon = join(dirname(manifestFile), 'build', 'Release', 'better_sqlite3.node');
    return existsSync(addon) ? addon : undefined;
  } catch {
    return undefined;
  }
}
