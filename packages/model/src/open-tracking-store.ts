/**
 * Which tracking store `runs:/` and `models:/` URIs go to, by MLflow 3.6's rules:
 * `MLFLOW_TRACKING_URI` when set (http(s) → the REST API; `sqlite:///…` → the database, read-only;
 * `file:…` or a path → an `mlruns` folder); when unset, `./mlruns` if it already holds experiments,
 * else `sqlite:///mlflow.db` in the working directory (MLflow's default since 3.6). Registered
 * models come from `MLFLOW_REGISTRY_URI` when it is set, as in MLflow, else from the same store.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BerthError } from '@berth/core';
import type { TrackingStore } from './tracking-store.js';

const SERVER_DATABASES = /^(postgresql|postgres|mysql|mssql|mariadb)(\+[a-z0-9_]+)?$/i;

const setIt = (variable: string) => [
  `Set ${variable} to a tracking server (http://127.0.0.1:5000) or to MLflow's SQLite file (sqlite:///path/to/mlflow.db).`,
];
const SET_IT = setIt('MLFLOW_TRACKING_URI');

export async function openTrackingStore(
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): Promise<TrackingStore> {
  const uri = env.MLFLOW_TRACKING_URI?.trim();
  if (!uri) return openDefaultStore(cwd);
  return openStore(uri, 'MLFLOW_TRACKING_URI');
}

/** The model registry's store: `MLFLOW_REGISTRY_URI`, else the tracking store. */
export async function openRegistryStore(
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): Promise<TrackingStore> {
  const uri = env.MLFLOW_REGISTRY_URI?.trim();
  return uri ? openStore(uri, 'MLFLOW_REGISTRY_URI') : openTrackingStore(env, cwd);
}

/**
 * The tracking and registry stores of one resolution, each opened on first use (a `models:/`
 * URI with local sources never needs a tracking store, and vice versa), closed together.
 */
export class TrackingStores {
  private trackingStore: Promise<TrackingStore> | undefined;
  private registryStore: Promise<TrackingStore> | undefined;

  constructor(
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly cwd: string = process.cwd(),
  ) {}

  tracking(): Promise<TrackingStore> {
    this.trackingStore ??= openTrackingStore(this.env, this.cwd);
    return this.trackingStore;
  }

  registry(): Promise<TrackingStore> {
    if (!this.env.MLFLOW_REGISTRY_URI?.trim()) return this.tracking();
    this.registryStore ??= openRegistryStore(this.env, this.cwd);
    return this.registryStore;
  }

  async close(): Promise<void> {
    for (const store of [this.trackingStore, this.registryStore]) {
      const opened = await store?.catch(() => undefined);
      await opened?.close();
    }
  }
}

async function openStore(uri: string, variable: string): Promise<TrackingStore> {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri)?.[1]?.toLowerCase();
  if (scheme === 'http' || scheme === 'https') {
    const { TrackingClient } = await import('./tracking-client.js');
    return new TrackingClient(uri, variable);
  }
  if (scheme === 'sqlite') return openSqlite(sqlitePath(uri, variable), uri);
  if (scheme === undefined || scheme.length === 1 || scheme === 'file') {
    const root = fileStorePath(uri);
    if (!(await stat(root).catch(() => undefined))?.isDirectory()) {
      throw new BerthError(`${variable} is ${uri}, but ${root} is not a folder (an MLflow file store).`, {
        code: 'RESOURCE_DOES_NOT_EXIST',
        suggestions: setIt(variable),
      });
    }
    const { FileTrackingStore } = await import('./file-tracking-store.js');
    return new FileTrackingStore(root);
  }
  if (SERVER_DATABASES.test(scheme)) {
    throw BerthError.invalidParameterValue(
      `${variable} is a ${scheme} database; Berth reads MLflow's SQLite files directly, other databases through a tracking server.`,
      {
        suggestions: [
          `Run \`mlflow server --backend-store-uri '${redactUserInfo(uri)}'\` and set ${variable} to its address (http://127.0.0.1:5000).`,
        ],
      },
    );
  }
  throw BerthError.invalidParameterValue(
    `${variable} "${redactUserInfo(uri)}" is not a tracking store Berth can read (http(s)://, sqlite:///, file: or a path).`,
    { suggestions: setIt(variable) },
  );
}

/** MLflow 3.6's default: `./mlruns` when it already holds experiment data, else `./mlflow.db`. */
async function openDefaultStore(cwd: string): Promise<TrackingStore> {
  const mlruns = path.resolve(cwd, 'mlruns');
  if (await hasFileStoreData(mlruns)) {
    const { FileTrackingStore } = await import('./file-tracking-store.js');
    return new FileTrackingStore(mlruns);
  }
  const database = path.resolve(cwd, 'mlflow.db');
  if (await stat(database).catch(() => undefined)) return openSqlite(database, 'sqlite:///mlflow.db');
  throw BerthError.invalidParameterValue(
    `MLFLOW_TRACKING_URI is not set, and neither of MLflow's default tracking stores is in ${cwd}: no mlflow.db, and no mlruns folder with experiments.`,
    { suggestions: SET_IT },
  );
}

/** MLflow's `_has_existing_mlruns_data`: a numbered experiment folder with a meta.yaml. */
async function hasFileStoreData(root: string): Promise<boolean> {
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isDirectory() || !/^\d+$/.test(entry.name)) continue;
    if (await stat(path.join(root, entry.name, 'meta.yaml')).catch(() => undefined)) return true;
  }
  return false;
}

async function openSqlite(file: string, uri: string): Promise<TrackingStore> {
  const { SqliteTrackingStore } = await import('./sqlite-tracking-store.js');
  return SqliteTrackingStore.open(file, uri);
}

/** SQLAlchemy's form: `sqlite:///relative.db`, `sqlite:////absolute.db`; `sqlite://` alone is in memory. */
export function sqlitePath(uri: string, variable = 'MLFLOW_TRACKING_URI'): string {
  const match = /^sqlite:\/\/(\/[^?]*)?(\?.*)?$/i.exec(uri);
  const file = match?.[1]?.slice(1);
  if (!file) {
    throw BerthError.invalidParameterValue(
      `${variable} "${uri}" names no SQLite file; write sqlite:///relative/mlflow.db or sqlite:////absolute/mlflow.db.`,
    );
  }
  return path.resolve(decodeURIComponent(file));
}

function fileStorePath(uri: string): string {
  if (uri.startsWith('file://')) return fileURLToPath(uri);
  if (uri.startsWith('file:')) return path.resolve(decodeURIComponent(uri.slice('file:'.length)));
  return path.resolve(uri);
}

function redactUserInfo(uri: string): string {
  return uri.replace(/\/\/[^/@]*@/, '//***@');
}
