/**
 * MLflow's local file store (`./mlruns`, or `MLFLOW_TRACKING_URI=file:/…` / a plain path): the
 * default when no tracking server is configured. Reads run and registry `meta.yaml` files directly.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { BerthError } from '@berth/core';
import { parse as parseYaml } from 'yaml';
import type { ModelVersion, Tracking } from './tracking-client.js';

async function readYaml(file: string): Promise<Record<string, unknown> | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const parsed = parseYaml(text) as unknown;
  return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
}

export class FileTrackingStore implements Tracking {
  constructor(readonly root: string) {}

  get baseUri(): string {
    return `file://${this.root}`;
  }

  async runArtifactUri(runId: string): Promise<string> {
    const experiments = await readdir(this.root, { withFileTypes: true }).catch(() => []);
    for (const experiment of experiments) {
      if (!experiment.isDirectory() || experiment.name === 'models' || experiment.name.startsWith('.')) continue;
      const runDir = path.join(this.root, experiment.name, runId);
      const meta = await readYaml(path.join(runDir, 'meta.yaml'));
      if (meta === undefined) continue;
      if (typeof meta.artifact_uri === 'string' && meta.artifact_uri !== '') return meta.artifact_uri;
      return path.join(runDir, 'artifacts');
    }
    throw new BerthError(`Run '${runId}' not found`, { code: 'RESOURCE_DOES_NOT_EXIST' });
  }

  private async versions(name: string): Promise<Array<ModelVersion & { storage_location?: string }>> {
    const modelDir = path.join(this.root, 'models', name);
    const entries = await readdir(modelDir).catch(() => undefined);
    if (entries === undefined) {
      throw new BerthError(`Registered Model with name=${name} not found`, { code: 'RESOURCE_DOES_NOT_EXIST' });
    }
    const versions: Array<ModelVersion & { storage_location?: string }> = [];
    for (const entry of entries.filter((candidate) => /^version-\d+$/.test(candidate))) {
      const meta = await readYaml(path.join(modelDir, entry, 'meta.yaml'));
      if (meta === undefined) continue;
      versions.push({
        name,
        version: String(meta.version ?? entry.slice('version-'.length)),
        current_stage: String(meta.current_stage ?? 'None'),
        ...(typeof meta.source === 'string' ? { source: meta.source } : {}),
        ...(typeof meta.storage_location === 'string' ? { storage_location: meta.storage_location } : {}),
      });
    }
    return versions;
  }

  async latestVersion(name: string, stage?: string): Promise<ModelVersion> {
    const matching = (await this.versions(name)).filter(
      (version) => stage === undefined || version.current_stage?.toLowerCase() === stage.toLowerCase(),
    );
    if (matching.length === 0) {
      throw new BerthError(
        `No versions of model with name '${name}'${stage === undefined ? '' : ` and stage '${stage}'`} found`,
        {
          code: 'RESOURCE_DOES_NOT_EXIST',
        },
      );
    }
    return matching.reduce((best, candidate) => (Number(candidate.version) > Number(best.version) ? candidate : best));
  }

  async modelVersion(name: string, version: string): Promise<ModelVersion> {
    const found = (await this.versions(name)).find((candidate) => candidate.version === version);
    if (!found) {
      throw new BerthError(`Model Version (name=${name}, version=${version}) not found`, {
        code: 'RESOURCE_DOES_NOT_EXIST',
      });
    }
    return found;
  }

  async versionByAlias(name: string, alias: string): Promise<ModelVersion> {
    const modelDir = path.join(this.root, 'models', name);
    const fromFile = await readFile(path.join(modelDir, 'aliases', alias), 'utf8').catch(() => undefined);
    const meta = await readYaml(path.join(modelDir, 'meta.yaml'));
    const listed = Array.isArray(meta?.aliases)
      ? (meta.aliases as Array<{ alias?: unknown; version?: unknown }>).find((entry) => entry.alias === alias)?.version
      : undefined;
    const version = fromFile?.trim() ?? (listed === undefined ? undefined : String(listed));
    if (version === undefined)
      throw new BerthError(`Registered model alias ${alias} not found.`, { code: 'RESOURCE_DOES_NOT_EXIST' });
    return this.modelVersion(name, version);
  }

  async downloadUri(name: string, version: string): Promise<string> {
    const found = (await this.versions(name)).find((candidate) => candidate.version === version);
    const uri = found?.storage_location ?? found?.source;
    if (!uri)
      throw new BerthError(`No download URI for model ${name} version ${version}`, { code: 'RESOURCE_DOES_NOT_EXIST' });
    return uri;
  }

  async loggedModelArtifactUri(modelId: string): Promise<string> {
    const experiments = await readdir(this.root, { withFileTypes: true }).catch(() => []);
    for (const experiment of experiments) {
      const modelDir = path.join(this.root, experiment.name, 'models', modelId);
      if (await stat(modelDir).catch(() => undefined)) return path.join(modelDir, 'artifacts');
    }
    throw new BerthError(`Logged model '${modelId}' not found`, { code: 'RESOURCE_DOES_NOT_EXIST' });
  }
}
