/**
 * The `MLmodel` file at the root of an MLflow model directory: YAML, with the signature parts as
 * JSON strings. Unknown keys are kept (MLflow round-trips them).
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { BerthError } from '@berth/core';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { type ModelSignature, parseSignature } from './model-signature.js';

export interface SavedInputExampleInfo {
  artifactPath: string;
  type: string;
  pandasOrient?: string;
  servingInputPath?: string;
}

export interface MLmodel {
  flavors: Record<string, Record<string, unknown>>;
  signature?: ModelSignature;
  savedInputExampleInfo?: SavedInputExampleInfo;
  artifactPath?: string;
  runId?: string;
  modelUuid?: string;
  utcTimeCreated?: string;
  mlflowVersion?: string;
  metadata?: Record<string, unknown>;
  /** The parsed YAML as written, unknown keys included. */
  raw: Record<string, unknown>;
}

const mlmodelYaml = z
  .object({
    flavors: z.record(
      z.string(),
      z
        .record(z.string(), z.unknown())
        .nullable()
        .transform((flavor) => flavor ?? {}),
    ),
    signature: z.unknown().optional(),
    saved_input_example_info: z
      .object({
        artifact_path: z.string(),
        type: z.string().optional().default('json_object'),
        pandas_orient: z.string().optional(),
        serving_input_path: z.string().optional(),
      })
      .passthrough()
      .nullable()
      .optional(),
    artifact_path: z.string().nullable().optional(),
    run_id: z.string().nullable().optional(),
    model_uuid: z.string().nullable().optional(),
    utc_time_created: z.union([z.string(), z.date()]).nullable().optional(),
    mlflow_version: z.string().nullable().optional(),
    metadata: z.record(z.string(), z.unknown()).nullable().optional(),
  })
  .passthrough();

/** MLflow's message for a directory without an MLmodel file (RESOURCE_DOES_NOT_EXIST). */
export function missingMLmodelError(location: string): BerthError {
  return new BerthError(`Could not find an "MLmodel" configuration file at "${location}"`, {
    code: 'RESOURCE_DOES_NOT_EXIST',
  });
}

/** Accepts a model directory or the path of its MLmodel file. */
export async function loadMLmodel(directory: string): Promise<MLmodel> {
  let file = path.resolve(directory);
  const info = await stat(file).catch(() => undefined);
  if (info === undefined) throw missingMLmodelError(directory);
  if (info.isDirectory()) file = path.join(file, 'MLmodel');
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) throw missingMLmodelError(directory);
  return parseMLmodel(text, file);
}

export function parseMLmodel(text: string, source = 'MLmodel'): MLmodel {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw BerthError.invalidParameterValue(
      `The MLmodel file at "${source}" is not valid YAML: ${(error as Error).message}`,
    );
  }
  const parsed = mlmodelYaml.safeParse(document);
  if (!parsed.success) {
    throw BerthError.invalidParameterValue(
      `The MLmodel file at "${source}" is not a valid MLflow model description: ${z.prettifyError(parsed.error)}`,
    );
  }
  const raw = parsed.data;
  const model: MLmodel = { flavors: raw.flavors, raw: document as Record<string, unknown> };
  const signature = parseSignature(raw.signature);
  if (signature.inputs || signature.outputs || signature.params) model.signature = signature;
  const example = raw.saved_input_example_info;
  if (example) {
    model.savedInputExampleInfo = {
      artifactPath: example.artifact_path,
      type: example.type,
      ...(example.pandas_orient ? { pandasOrient: example.pandas_orient } : {}),
      ...(example.serving_input_path ? { servingInputPath: example.serving_input_path } : {}),
    };
  }
  if (raw.artifact_path) model.artifactPath = raw.artifact_path;
  if (raw.run_id) model.runId = raw.run_id;
  if (raw.model_uuid) model.modelUuid = raw.model_uuid;
  if (raw.utc_time_created) model.utcTimeCreated = String(raw.utc_time_created);
  if (raw.mlflow_version) model.mlflowVersion = raw.mlflow_version;
  if (raw.metadata) model.metadata = raw.metadata;
  return model;
}
