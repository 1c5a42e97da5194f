/**
 * `saveModel`: writes an MLflow model directory for an ONNX model, as `mlflow.onnx.save_model`
 * lays it out (MLmodel with `onnx` + `python_function` flavors, model.onnx, signature, input example,
 * serving input example, environment files), so MLflow can load what Berth writes and vice versa.
 */
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BerthError } from '@berth/core';
import { stringify } from 'yaml';
import { type ModelSignature, parseSignature, signatureToMLmodel } from './model-signature.js';
import { validateOnnxSessionOptions } from './onnx-session-options.js';

/** `{columns, data}` (a DataFrame in split orientation) or any JSON value sent as `inputs`. */
export type InputExample = { columns: string[]; data: unknown[][] } | { inputs: unknown };

export interface SaveModelOptions {
  /** The ONNX bytes, or the path of a .onnx file (its external-data side files are copied too). */
  onnxModel: Uint8Array | string;
  /** A parsed signature, or MLflow's `{inputs, outputs, params}` JSON strings/lists. */
  signature?: ModelSignature | { inputs?: unknown; outputs?: unknown; params?: unknown };
  inputExample?: InputExample;
  /** Example params written into serving_input_example.json. */
  inputExampleParams?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  onnxSessionOptions?: Record<string, unknown>;
  /** Files next to model.onnx that hold external tensor data (relative names). */
  externalDataFiles?: string[];
  /** Recorded in the MLmodel as MLflow records its own versions. */
  onnxVersion?: string;
}

function isParsedSignature(value: SaveModelOptions['signature']): value is ModelSignature {
  const inputs = (value as { inputs?: unknown } | undefined)?.inputs;
  return typeof inputs === 'object' && inputs !== null && 'kind' in inputs;
}

function utcNow(): string {
  // MLflow: str(datetime.utcnow()) → '2023-12-07 02:46:07.555576'
  return `${new Date().toISOString().replace('T', ' ').replace('Z', '')}000`;
}

export async function saveModel(directory: string, options: SaveModelOptions): Promise<void> {
  await mkdir(directory, { recursive: true });
  const existing = await readdir(directory);
  if (existing.includes('MLmodel')) {
    throw new BerthError(`Path '${directory}' already exists and is not empty`, { code: 'RESOURCE_ALREADY_EXISTS' });
  }
  if (options.onnxSessionOptions) validateOnnxSessionOptions(options.onnxSessionOptions);
  await writeOnnx(directory, options);
  const signature = options.signature
    ? isParsedSignature(options.signature)
      ? options.signature
      : parseSignature(options.signature)
    : undefined;
  const document: Record<string, unknown> = {
    flavors: {
      onnx: {
        code: null,
        data: 'model.onnx',
        onnx_session_options: options.onnxSessionOptions ?? null,
        onnx_version: options.onnxVersion ?? '1.12.0',
        providers: ['CUDAExecutionProvider', 'CPUExecutionProvider'],
      },
      python_function: {
        data: 'model.onnx',
        env: { conda: 'conda.yaml', virtualenv: 'python_env.yaml' },
        loader_module: 'mlflow.onnx',
        python_version: '3.11.2',
      },
    },
    model_uuid: randomUUID().replaceAll('-', ''),
    utc_time_created: utcNow(),
  };
  if (signature) document.signature = signatureToMLmodel(signature);
  if (options.inputExample) document.saved_input_example_info = await writeInputExample(directory, options);
  if (options.metadata) document.metadata = options.metadata;
  await writeEnvironmentFiles(directory);
  await writeFile(path.join(directory, 'MLmodel'), stringify(document, { lineWidth: 0 }));
}

async function writeOnnx(directory: string, options: SaveModelOptions): Promise<void> {
  const target = path.join(directory, 'model.onnx');
  if (typeof options.onnxModel !== 'string') {
    await writeFile(target, options.onnxModel);
    return;
  }
  await copyFile(options.onnxModel, target);
  for (const file of options.externalDataFiles ?? []) {
    await copyFile(path.join(path.dirname(options.onnxModel), file), path.join(directory, file));
  }
}

async function writeInputExample(directory: string, options: SaveModelOptions): Promise<Record<string, unknown>> {
  const example = options.inputExample as InputExample;
  const params = options.inputExampleParams;
  if ('columns' in example) {
    await writeFile(
      path.join(directory, 'input_example.json'),
      JSON.stringify({ columns: example.columns, data: example.data }),
    );
    await writeFile(
      path.join(directory, 'serving_input_example.json'),
      JSON.stringify(
        { dataframe_split: { columns: example.columns, data: example.data }, ...(params ? { params } : {}) },
        null,
        2,
      ),
    );
    return {
      artifact_path: 'input_example.json',
      pandas_orient: 'split',
      serving_input_path: 'serving_input_example.json',
      type: 'dataframe',
    };
  }
  await writeFile(path.join(directory, 'input_example.json'), JSON.stringify({ inputs: example.inputs }));
  await writeFile(
    path.join(directory, 'serving_input_example.json'),
    JSON.stringify({ inputs: example.inputs, ...(params ? { params } : {}) }, null, 2),
  );
  return { artifact_path: 'input_example.json', serving_input_path: 'serving_input_example.json', type: 'ndarray' };
}

async function writeEnvironmentFiles(directory: string): Promise<void> {
  const requirements = ['mlflow', 'onnx', 'onnxruntime'];
  await writeFile(path.join(directory, 'requirements.txt'), `${requirements.join('\n')}\n`);
  await writeFile(
    path.join(directory, 'python_env.yaml'),
    stringify({ python: '3.11.2', build_dependencies: ['pip'], dependencies: ['-r requirements.txt'] }),
  );
  await writeFile(
    path.join(directory, 'conda.yaml'),
    stringify({
      channels: ['conda-forge'],
      dependencies: ['python=3.11.2', 'pip', { pip: requirements }],
      name: 'mlflow-env',
    }),
  );
}
