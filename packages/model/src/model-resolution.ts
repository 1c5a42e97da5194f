/**
 * MLflow's rules for turning `models:/` URIs and MLflow 3 `runs:/` model paths into artifact
 * locations, on top of any `TrackingStore`. Every missing model, version, alias, stage, run or
 * logged model is RESOURCE_DOES_NOT_EXIST, named the way MLflow names it.
 */
import { BerthError } from '@berth/core';
import type { ModelsUri } from './model-uri-grammar.js';
import type { LoggedModelInfo, ModelVersionInfo, RunInfo, TrackingStore } from './tracking-store.js';

function isNotFound(error: unknown): error is BerthError {
  return BerthError.isInstance(error) && error.code === 'RESOURCE_DOES_NOT_EXIST';
}

/** An alias lookup that failed because the alias is missing (MLflow answers INVALID_PARAMETER_VALUE). */
function isMissingAlias(error: unknown): error is BerthError {
  return (
    BerthError.isInstance(error) &&
    (error.code === 'RESOURCE_DOES_NOT_EXIST' ||
      (error.code === 'INVALID_PARAMETER_VALUE' && /alias .* not found/i.test(error.message)))
  );
}

/** `models:/<name>/<version|stage|latest>` or `@alias` → one concrete version. */
export async function resolveRegisteredVersion(
  store: TrackingStore,
  uri: Exclude<ModelsUri, { kind: 'id' }>,
): Promise<ModelVersionInfo> {
  switch (uri.kind) {
    case 'version':
      return store.getModelVersion(uri.name, uri.version).catch(async (error: unknown) => {
        if (isNotFound(error)) await store.getRegisteredModel(uri.name); // "Registered Model with name=… not found"
        throw error;
      });
    case 'latest':
      return latestOf(store, uri.name, undefined);
    case 'stage':
      return latestOf(store, uri.name, uri.stage);
    case 'alias':
      return store.getModelVersionByAlias(uri.name, uri.alias).catch(async (error: unknown) => {
        if (!isMissingAlias(error)) throw error;
        const model = await store.getRegisteredModel(uri.name);
        const known = model.aliases.map((entry) => `${entry.alias} (version ${entry.version})`);
        throw new BerthError(`Registered model alias ${uri.alias} not found.`, {
          code: 'RESOURCE_DOES_NOT_EXIST',
          suggestions: [
            known.length > 0
              ? `Registered model '${uri.name}' has the aliases: ${known.join(', ')}.`
              : `Registered model '${uri.name}' has no aliases.`,
          ],
          cause: error,
        });
      });
  }
}

/** MLflow's `_get_latest_model_version`: the highest version among the latest of each (or one) stage. */
async function latestOf(store: TrackingStore, name: string, stage: string | undefined): Promise<ModelVersionInfo> {
  const versions = await store.getLatestVersions(name, stage);
  if (versions.length === 0) {
    throw new BerthError(
      `No versions of model with name '${name}'${stage === undefined ? '' : ` and stage '${stage}'`} found`,
      { code: 'RESOURCE_DOES_NOT_EXIST' },
    );
  }
  return versions.reduce((best, candidate) => (Number(candidate.version) > Number(best.version) ? candidate : best));
}

/**
 * MLflow 3's fallback for `runs:/<run>/<name>/<rest>` when the run's own artifacts hold no model
 * there: the logged model called `<name>` that this run produced, found by a logged-model search
 * of the run's experiment by name and matched on its source run, as MLflow does.
 */
export async function findRunLoggedModel(
  store: TrackingStore,
  run: RunInfo,
  artifactPath: string,
): Promise<{ model: LoggedModelInfo; rest: string } | undefined> {
  if (artifactPath === '') return undefined;
  const [name = '', ...rest] = artifactPath.split('/');
  const candidates = await store.searchLoggedModels(run.experimentId, { name });
  const model = candidates.find((candidate) => candidate.sourceRunId === run.runId);
  return model === undefined ? undefined : { model, rest: rest.join('/') };
}

/** Neither the run's artifacts nor its logged models have a model at the path. */
export async function runModelNotFoundError(
  store: TrackingStore,
  uri: string,
  run: RunInfo,
  artifactPath: string,
  runArtifactUri: string,
): Promise<BerthError> {
  const name = artifactPath.split('/')[0] ?? '';
  const logged = await store.searchLoggedModels(run.experimentId, { sourceRunId: run.runId }).catch(() => []);
  const names = [...new Set(logged.filter((model) => model.sourceRunId === run.runId).map((model) => model.name))];
  return new BerthError(
    `Could not find an "MLmodel" configuration file at "${uri}": the run's artifacts have none at ${runArtifactUri}${name ? `, and run ${run.runId} logged no model named '${name}'` : ''}.`,
    {
      code: 'RESOURCE_DOES_NOT_EXIST',
      suggestions:
        names.length > 0
          ? [
              `Run ${run.runId} logged ${names.length === 1 ? 'the model' : 'the models'} ${names.map((n) => `'${n}'`).join(', ')}: use runs:/${run.runId}/${names[0]}.`,
            ]
          : [],
    },
  );
}
