/**
 * `loadModel`: a model URI or directory → a model that predicts. Picks the flavor, loads it, and
 * enforces the signature (params, then inputs) on every call, as MLflow's `PyFuncModel.predict`.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { BerthError } from '@berth/core';
import { type FlavorRunner, SUPPORTED_FLAVORS } from './flavor.js';
import { loadJsFlavor } from './js-flavor.js';
import { loadMLmodel, type MLmodel } from './mlmodel.js';
import type { ModelInput, ModelOutput } from './model-data.js';
import type { ModelSignature } from './model-signature.js';
import { resolveModelUri } from './model-uri.js';
import { loadOnnxFlavor } from './onnx-flavor.js';
import { enforceInputSchema, enforceParams } from './schema-enforcement.js';

export interface LoadModelOptions {
  /** Flavor to serve; default: `onnx` if the model has it, else `js`. */
  flavor?: string;
  /** Allow flavors that execute the model's own code (`js`). Default false. */
  allowCode?: boolean;
  /** Download cache for remote URIs; default `<BERTH_HOME>/cache/models`. */
  cacheDir?: string;
  /** Called with the names of params that were dropped (unknown, or the model has no params schema). */
  onIgnoredParams?: (names: string[]) => void;
}

export interface LoadedModel {
  readonly directory: string;
  readonly flavor: string;
  readonly metadata: MLmodel;
  readonly signature?: ModelSignature;
  /** Input already parsed; schema enforcement happens here. */
  predict(input: ModelInput, params?: Record<string, unknown>): Promise<ModelOutput>;
  /** Ready-to-POST JSON body from serving_input_example.json (or built from input_example.json), if any. */
  servingInputExample(): Promise<string | undefined>;
  close(): Promise<void>;
}

function flavorList(flavors: string[]): string {
  return `[${flavors.join(', ')}]`;
}

/** The flavor to serve, with errors that name what the model has and what Berth can serve. */
export function selectFlavor(metadata: MLmodel, requested?: string): string {
  const available = Object.keys(metadata.flavors);
  const servable = SUPPORTED_FLAVORS.join(', ');
  if (requested === 'python_function' && available.includes('python_function')) {
    // MLflow's default deployment flavor. A pyfunc that wraps an ONNX model is served as onnx.
    const loader = metadata.flavors.python_function?.loader_module;
    if (loader === 'mlflow.onnx' && available.includes('onnx')) return 'onnx';
    throw BerthError.invalidParameterValue(
      `Berth cannot serve the flavor 'python_function' with loader_module '${String(loader)}'. The model has flavors ${flavorList(available)}; Berth can serve: ${servable} (and python_function models whose loader_module is mlflow.onnx).`,
    );
  }
  if (requested !== undefined) {
    if (!available.includes(requested)) {
      throw BerthError.invalidParameterValue(
        `The model does not have the flavor '${requested}'. The model has flavors ${flavorList(available)}; Berth can serve: ${servable}.`,
      );
    }
    if (!(SUPPORTED_FLAVORS as readonly string[]).includes(requested)) {
      throw BerthError.invalidParameterValue(
        `Berth cannot serve the flavor '${requested}'. The model has flavors ${flavorList(available)}; Berth can serve: ${servable}.`,
      );
    }
    return requested;
  }
  const chosen = SUPPORTED_FLAVORS.find((flavor) => available.includes(flavor));
  if (chosen === undefined) {
    throw BerthError.invalidParameterValue(
      `The model has flavors ${flavorList(available)}; Berth can serve: ${servable}. ` +
        'Export the model to ONNX (flavor onnx) or wrap it in a js model module (flavor js).',
    );
  }
  return chosen;
}

export async function loadModel(uriOrDirectory: string, options: LoadModelOptions = {}): Promise<LoadedModel> {
  const directory = await resolveModelUri(
    uriOrDirectory,
    options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir },
  );
  const metadata = await loadMLmodel(directory);
  const flavor = selectFlavor(metadata, options.flavor);
  const flavorConfig = metadata.flavors[flavor] ?? {};
  const runner: FlavorRunner =
    flavor === 'onnx'
      ? await loadOnnxFlavor(directory, flavorConfig)
      : await loadJsFlavor(directory, flavorConfig, options.allowCode === true);
  const signature = metadata.signature;
  return {
    directory,
    flavor,
    metadata,
    ...(signature === undefined ? {} : { signature }),
    // Not an async function: returning the flavor's promise from one costs extra microtask turns
    // per request. Schema errors still arrive as a rejected promise.
    predict(input, params) {
      try {
        const enforced = enforceParams(params, signature?.params);
        if (enforced.ignored.length > 0) options.onIgnoredParams?.(enforced.ignored);
        const data = signature?.inputs ? enforceInputSchema(input, signature.inputs) : input;
        // MLflow's rule: the orientation follows what the model is fed after schema enforcement —
        // a tensor signature turns a frame into tensors (answered as {output: nested lists}), a
        // column signature turns tensors into a frame (answered as records).
        return runner.predict(data, enforced.params, data.kind === 'columns' ? 'records' : 'tensors');
      } catch (error) {
        return Promise.reject(error);
      }
    },
    servingInputExample: () => readServingInputExample(directory, metadata),
    close: () => runner.close(),
  };
}

async function readOptional(file: string): Promise<string | undefined> {
  return readFile(file, 'utf8').catch(() => undefined);
}

/** MLflow 2.17+ writes serving_input_example.json; older models only have input_example.json. */
export async function readServingInputExample(directory: string, metadata: MLmodel): Promise<string | undefined> {
  const info = metadata.savedInputExampleInfo;
  const serving = await readOptional(path.join(directory, info?.servingInputPath ?? 'serving_input_example.json'));
  if (serving !== undefined) return serving;
  if (info === undefined) return undefined;
  const example = await readOptional(path.join(directory, info.artifactPath));
  if (example === undefined) return undefined;
  if (info.type === 'dataframe') {
    const parsed = JSON.parse(example) as unknown;
    if (info.pandasOrient === 'records') return JSON.stringify({ dataframe_records: parsed });
    return JSON.stringify({ dataframe_split: parsed });
  }
  const parsed = JSON.parse(example) as unknown;
  // MLflow stores ndarray examples already wrapped: {"inputs": [...]}.
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && 'inputs' in parsed) return example;
  return JSON.stringify({ inputs: parsed });
}
