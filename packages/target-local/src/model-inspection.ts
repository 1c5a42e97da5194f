import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthError } from '@berth/core';

/** A model checked before any process starts: where it is, which flavor serves it, how to probe it. */
export interface InspectedModel {
  modelUri: string;
  directory: string;
  flavor: string;
  /** A ready-to-POST `/invocations` JSON body, when the model carries an input example. */
  example: string | undefined;
}

const SERVABLE_FLAVORS = ['onnx', 'js'];

/**
 * Resolves the URI to a local directory and validates its MLmodel and flavor, without loading the
 * model itself (no onnxruntime in the CLI process): the scoring server does the real load and a
 * readiness inference, and the client then repeats that inference over HTTP.
 */
export async function inspectModel(
  modelUri: string,
  flavor: string | undefined,
  cacheDir: string,
): Promise<InspectedModel> {
  const { resolveModelUri, loadMLmodel } = await import('@berth/model');
  const directory = await resolveModelUri(modelUri, { cacheDir });
  const mlmodel = await loadMLmodel(directory);
  const available = Object.keys(mlmodel.flavors);
  let chosen = flavor;
  if (chosen === undefined) {
    chosen = SERVABLE_FLAVORS.find((name) => available.includes(name));
    if (chosen === undefined) {
      throw BerthError.invalidParameterValue(
        `The model at '${modelUri}' has no flavor the local target can serve (it has: ${available.join(', ') || 'none'}).`,
        { suggestions: [`Save the model with one of the flavors ${SERVABLE_FLAVORS.join(', ')}.`] },
      );
    }
  } else if (!available.includes(chosen)) {
    throw BerthError.invalidParameterValue(
      `The model at '${modelUri}' has no '${chosen}' flavor (it has: ${available.join(', ')}).`,
      { suggestions: ['Leave out --flavor to pick one automatically.'] },
    );
  }
  return { modelUri, directory, flavor: chosen, example: await readExample(directory, mlmodel.savedInputExampleInfo) };
}

async function readExample(
  directory: string,
  info: { artifactPath: string; type: string; servingInputPath?: string } | undefined,
): Promise<string | undefined> {
  if (!info) return undefined;
  if (info.servingInputPath) {
    try {
      return await readFile(join(directory, info.servingInputPath), 'utf8');
    } catch {
      // fall back to the raw example
    }
  }
  try {
    const raw = JSON.parse(await readFile(join(directory, info.artifactPath), 'utf8')) as unknown;
    // MLflow's saved example: a split-oriented frame for 'dataframe', a plain tensor otherwise.
    return JSON.stringify(info.type === 'dataframe' ? { dataframe_split: raw } : { inputs: raw });
  } catch {
    return undefined;
  }
}
