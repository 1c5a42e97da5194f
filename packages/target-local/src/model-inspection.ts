import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ProgressEvent } from '@berth/core';

/** A model checked before any process starts: where it is, which flavor serves it, how to probe it. */
export interface InspectedModel {
  modelUri: string;
  directory: string;
  flavor: string;
  /** A ready-to-POST `/invocations` JSON body, when the model carries an input example. */
  example: string | undefined;
}

/**
 * Resolves the URI to a local directory and validates its MLmodel and flavor, without loading the
 * model itself (no onnxruntime in the CLI process): the scoring server does the real load and a
 * readiness inference, and the client then repeats that inference over HTTP.
 */
export async function inspectModel(
  modelUri: string,
  flavor: string | undefined,
  cacheDir: string,
  onProgress?: (event: ProgressEvent) => void,
): Promise<InspectedModel> {
  const { resolveModelUri, loadMLmodel, selectFlavor } = await import('@berth/model');
  const directory = resolve(await resolveModelUri(modelUri, { cacheDir, ...(onProgress ? { onProgress } : {}) }));
  const mlmodel = await loadMLmodel(directory);
  const chosen = selectFlavor(mlmodel, flavor);
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
