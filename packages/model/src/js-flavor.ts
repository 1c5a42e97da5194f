/**
 * The `js` flavor: `flavors.js.module` (default `model.mjs`) is a module exporting
 * `load(modelDir)` → `{ predict(input, params), close? }`. It is the model author's own code, so it
 * runs only when the caller allows code.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { BerthError } from '@berth/core';
import type { FlavorRunner } from './flavor.js';
import type { ModelInput, ModelOutput } from './model-data.js';
import { ModelEvaluationError } from './model-evaluation-error.js';

export interface JsModel {
  predict(input: ModelInput, params?: Record<string, unknown>): unknown;
  close?(): unknown;
}

export interface JsModelModule {
  load(modelDir: string): JsModel | Promise<JsModel>;
}

function isModelOutput(value: unknown): value is ModelOutput {
  if (typeof value !== 'object' || value === null) return false;
  const kind = (value as { kind?: unknown }).kind;
  return (kind === 'tensors' && 'tensors' in value) || (kind === 'json' && 'value' in value);
}

export async function loadJsFlavor(
  directory: string,
  flavor: Record<string, unknown>,
  allowCode: boolean,
): Promise<FlavorRunner> {
  const moduleName = typeof flavor.module === 'string' ? flavor.module : 'model.mjs';
  const file = path.resolve(directory, moduleName);
  if (!allowCode) {
    throw new BerthError(
      `The model at "${directory}" uses the 'js' flavor, which runs the model's own JavaScript (${moduleName}). Berth runs model code only when you allow it.`,
      {
        code: 'PERMISSION_DENIED',
        suggestions: [
          'Pass `allowCode: true` to loadModel (scoring server and CLI: --allow-code) if you trust this model.',
        ],
      },
    );
  }
  if (path.relative(path.resolve(directory), file).startsWith('..')) {
    throw BerthError.invalidParameterValue(`The js flavor's module "${moduleName}" is outside the model directory.`);
  }
  let loaded: Partial<JsModelModule>;
  try {
    loaded = (await import(pathToFileURL(file).href)) as Partial<JsModelModule>;
  } catch (error) {
    throw BerthError.invalidParameterValue(
      `Failed to import the js model module "${file}": ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  if (typeof loaded.load !== 'function') {
    throw BerthError.invalidParameterValue(`The js model module "${file}" must export a function \`load(modelDir)\`.`);
  }
  const model = await loaded.load(directory);
  if (typeof model?.predict !== 'function') {
    throw BerthError.invalidParameterValue(
      `\`load()\` of "${file}" must return an object with a \`predict(input, params)\` method.`,
    );
  }
  return {
    async predict(input, params): Promise<ModelOutput> {
      let result: unknown;
      try {
        result = await model.predict(input, params);
      } catch (error) {
        throw ModelEvaluationError.wrap(error);
      }
      return isModelOutput(result) ? result : { kind: 'json', value: result };
    },
    async close() {
      await model.close?.();
    },
  };
}
