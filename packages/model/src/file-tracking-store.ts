/**
 * MLflow's local file store (`./mlruns`, `MLFLOW_TRACKING_URI=file:/…` or a plain path): reads the
 * `meta.yaml` files of runs (`<experiment>/<run>/`), logged models (`<experiment>/models/<id>/`,
 * MLflow 3) and the registry (`models/<name>/version-<n>/`, `models/<name>/aliases/<alias>`).
 * Messages are the file store's own (`Run '…' not found`).
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { BerthError } from '@berth/core';
import { parse as parseYaml } from 'yaml';
import type {
  LoggedModelFilter,
  LoggedModelInfo,
  ModelVersionInfo,
  RegisteredModelInfo,
  RunInfo,
  TrackingStore,
} from './tracking-store.js';

const TRASH = '.trash';
const REGISTRY = 'models';

async function readYaml(file: string): Promise<Record<string, unknown> | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const parsed = parseYaml(text) as unknown;
  return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined;
}

function notFound(message: string): BerthError {
  return new BerthError(message, { code: 'RESOURCE_DOES_NOT_EXIST' });
}

export class FileTrackingStore implements TrackingStore {
  readonly server = undefined;

  constructor(readonly root: string) {}

  get uri(): string {
    return `file://${this.root}`;
  }

  /** Experiment folders, active and deleted (runs of deleted experiments still resolve, as in MLflow). */
  private async experimentFolders(): Promise<string[]> {
    const folders: string[] = [];
    for (const base of [this.root, path.join(this.root, TRASH)]) {
      const entries = await readdir(base, { withFileTypes: true }).catch(() => []);
      for (const entry of entries) {
        if (!entry.isDirectory() || entry.name.startsWith('.') || (base === this.root && entry.name === REGISTRY))
          continue;
        folders.push(path.join(base, entry.name));
      }
    }
    return folders;
  }

  async getRun(runId: string): Promise<RunInfo> {
    for (const experiment of await this.experimentFolders()) {
      const runDir = path.join(experiment, runId);
      const meta = await readYaml(path.join(runDir, 'meta.yaml'));
      if (meta === undefined) continue;
      return {
        runId,
        experimentId: text(meta.experiment_id) ?? path.basename(experiment),
        artifactUri: text(meta.artifact_uri) ?? path.join(runDir, 'artifacts'),
      };
    }
    throw notFound(`Run '${runId}' not found`);
  }

  private async loggedModelsIn(experiment: string): Promise<LoggedModelInfo[]> {
    const modelsDir = path.join(experiment, REGISTRY);
    const entries = await readdir(modelsDir, { withFileTypes: true }).catch(() => []);
    const models: LoggedModelInfo[] = [];
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      const meta = await readYaml(path.join(modelsDir, entry.name, 'meta.yaml'));
      if (meta === undefined || meta.lifecycle_stage === 'deleted') continue;
      models.push({
        modelId: text(meta.model_id) ?? entry.name,
        experimentId: text(meta.experiment_id) ?? path.basename(experiment),
        name: text(meta.name) ?? '',
        artifactUri: text(meta.artifact_location) ?? path.join(modelsDir, entry.name, 'artifacts'),
        sourceRunId: text(meta.source_run_id),
      });
    }
    return models;
  }

  async searchLoggedModels(experimentId: string, filter: LoggedModelFilter): Promise<LoggedModelInfo[]> {
    const experiment = (await this.experimentFolders()).find((folder) => path.basename(folder) === experimentId);
    if (experiment === undefined) return [];
    return (await this.loggedModelsIn(experiment)).filter(
      (model) =>
        (filter.name === undefined || model.name === filter.name) &&
        (filter.sourceRunId === undefined || model.sourceRunId === filter.sourceRunId),
    );
  }

  async getLoggedModel(modelId: string): Promise<LoggedModelInfo> {
    for (const experiment of await this.experimentFolders()) {
      const found = (await this.loggedModelsIn(experiment)).find((model) => model.modelId === modelId);
      if (found) return found;
    }
    throw notFound(`Model '${modelId}' not found`);
  }

  private modelDir(name: string): string {
    return path.join(this.root, REGISTRY, name);
  }

  async getRegisteredModel(name: string): Promise<RegisteredModelInfo> {
    const entries = await readdir(this.modelDir(name)).catch(() => undefined);
    if (entries === undefined) throw notFound(`Registered Model with name=${name} not found`);
    const aliasDir = path.join(this.modelDir(name), 'aliases');
    const aliases: RegisteredModelInfo['aliases'] = [];
    for (const alias of (await readdir(aliasDir).catch(() => [])).sort()) {
      const version = (await readFile(path.join(aliasDir, alias), 'utf8').catch(() => '')).trim();
      if (version !== '') aliases.push({ alias, version });
    }
    return { name, aliases };
  }

  private async versions(name: string): Promise<Array<ModelVersionInfo & { storageLocation?: string }>> {
    await this.getRegisteredModel(name);
    const entries = await readdir(this.modelDir(name)).catch(() => []);
    const versions: Array<ModelVersionInfo & { storageLocation?: string }> = [];
    for (const entry of entries.filter((candidate) => /^version-\d+$/.test(candidate))) {
      const meta = await readYaml(path.join(this.modelDir(name), entry, 'meta.yaml'));
      if (meta === undefined || meta.current_stage === 'Deleted_Internal') continue;
      const storageLocation = text(meta.storage_location);
      versions.push({
        name,
        version: text(meta.version) ?? entry.slice('version-'.length),
        currentStage: text(meta.current_stage) ?? 'None',
        source: text(meta.source),
        runId: text(meta.run_id),
        ...(storageLocation === undefined ? {} : { storageLocation }),
      });
    }
    return versions;
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersionInfo> {
    const found = (await this.versions(name)).find((candidate) => candidate.version === version);
    if (!found) throw notFound(`Model Version (name=${name}, version=${version}) not found`);
    return found;
  }

  async getLatestVersions(name: string, stage?: string): Promise<ModelVersionInfo[]> {
    const latest = new Map<string, ModelVersionInfo>();
    for (const version of await this.versions(name)) {
      const key = version.currentStage.toLowerCase();
      const best = latest.get(key);
      if (best === undefined || Number(version.version) > Number(best.version)) latest.set(key, version);
    }
    return [...latest.values()].filter(
      (version) => stage === undefined || version.currentStage.toLowerCase() === stage.toLowerCase(),
    );
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersionInfo> {
    const model = await this.getRegisteredModel(name);
    const found = model.aliases.find((candidate) => candidate.alias === alias);
    if (found === undefined) throw notFound(`Registered model alias ${alias} not found.`);
    return this.getModelVersion(name, found.version);
  }

  async getModelVersionDownloadUri(name: string, version: string): Promise<string> {
    const found = (await this.versions(name)).find((candidate) => candidate.version === version);
    if (!found) throw notFound(`Model Version (name=${name}, version=${version}) not found`);
    const uri = found.storageLocation ?? found.source;
    if (!uri) throw notFound(`Model Version (name=${name}, version=${version}) has no source.`);
    return uri;
  }

  async close(): Promise<void> {
    // Nothing held open.
  }
}
