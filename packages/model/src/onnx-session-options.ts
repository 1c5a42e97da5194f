/**
 * The onnx flavor's `onnx_session_options` (MLflow's names, from Python's `SessionOptions`) checked
 * as MLflow checks them and mapped onto onnxruntime-node's options.
 */
import { BerthError } from '@berth/core';
import type { InferenceSession } from 'onnxruntime-node';
import { pythonTypeName } from './python-type-name.js';

// Attributes of onnxruntime.SessionOptions that MLflow accepts as keys.
const PYTHON_SESSION_OPTION_KEYS = new Set([
  'enable_cpu_mem_arena',
  'enable_mem_pattern',
  'enable_mem_reuse',
  'enable_profiling',
  'execution_mode',
  'execution_order',
  'graph_optimization_level',
  'inter_op_num_threads',
  'intra_op_num_threads',
  'log_severity_level',
  'log_verbosity_level',
  'logid',
  'optimized_model_filepath',
  'profile_file_prefix',
  'use_deterministic_compute',
  'extra_session_config',
]);

const GRAPH_OPTIMIZATION_LEVELS: Record<number, InferenceSession.SessionOptions['graphOptimizationLevel']> = {
  0: 'disabled',
  1: 'basic',
  2: 'extended',
  99: 'all',
};

function invalid(message: string): BerthError {
  return BerthError.invalidParameterValue(message);
}

/** Validates MLflow's rules; throws INVALID_PARAMETER_VALUE naming the offending key. */
export function validateOnnxSessionOptions(options: unknown): Record<string, unknown> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalid(`Argument onnx_session_options should be a dict, not ${pythonTypeName(options)}`);
  }
  const record = options as Record<string, unknown>;
  for (const [key, value] of Object.entries(record)) {
    if (!PYTHON_SESSION_OPTION_KEYS.has(key)) {
      throw invalid(`Key ${key} in onnx_session_options is not a valid ONNX Runtime session options key`);
    }
    if (key === 'extra_session_config' && (typeof value !== 'object' || value === null || Array.isArray(value))) {
      throw invalid(`Value for key ${key} in onnx_session_options should be a dict, not ${pythonTypeName(value)}`);
    }
    if (key === 'execution_mode' && !/^(parallel|sequential)$/i.test(String(value))) {
      throw invalid(
        `Value for key ${key} in onnx_session_options should be 'parallel' or 'sequential', not ${String(value)}`,
      );
    }
    if (key === 'graph_optimization_level' && !(Number(value) in GRAPH_OPTIMIZATION_LEVELS)) {
      throw invalid(`Value for key ${key} in onnx_session_options should be 0, 1, 2, or 99, not ${String(value)}`);
    }
    if (key === 'intra_op_num_threads' && !(Number.isInteger(value) && (value as number) >= 0)) {
      throw invalid(`Value for key ${key} in onnx_session_options should be >= 0, not ${String(value)}`);
    }
    if (key === 'inter_op_num_threads' && !(Number.isInteger(value) && (value as number) >= 0)) {
      throw invalid(`Value for key ${key} in onnx_session_options should be >= 0, not ${String(value)}`);
    }
  }
  return record;
}

/**
 * onnxruntime-node options for a flavor's session options. Threads default to 1: a server runs one
 * session per worker and two cores are shared with everything else; 0 means "let ORT decide".
 * Keys with no onnxruntime-node counterpart (execution_order, enable_mem_reuse,
 * use_deterministic_compute) are accepted and ignored.
 */
export function toOrtSessionOptions(flavorOptions: unknown): InferenceSession.SessionOptions {
  const options: InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1 };
  if (flavorOptions === null || flavorOptions === undefined) return options;
  const record = validateOnnxSessionOptions(flavorOptions);
  for (const [key, value] of Object.entries(record)) {
    switch (key) {
      case 'intra_op_num_threads':
        options.intraOpNumThreads = value as number;
        break;
      case 'inter_op_num_threads':
        options.interOpNumThreads = value as number;
        break;
      case 'execution_mode':
        options.executionMode = String(value).toLowerCase() as 'parallel' | 'sequential';
        break;
      case 'graph_optimization_level':
        options.graphOptimizationLevel = GRAPH_OPTIMIZATION_LEVELS[Number(value)];
        break;
      case 'enable_cpu_mem_arena':
        options.enableCpuMemArena = Boolean(value);
        break;
      case 'enable_mem_pattern':
        options.enableMemPattern = Boolean(value);
        break;
      case 'enable_profiling':
        options.enableProfiling = Boolean(value);
        break;
      case 'log_severity_level':
        options.logSeverityLevel = Number(value) as 0 | 1 | 2 | 3 | 4;
        break;
      case 'log_verbosity_level':
        options.logVerbosityLevel = Number(value);
        break;
      case 'logid':
        options.logId = String(value);
        break;
      case 'optimized_model_filepath':
        options.optimizedModelFilePath = String(value);
        break;
      case 'profile_file_prefix':
        options.profileFilePrefix = String(value);
        break;
      case 'extra_session_config':
        options.extra = Object.fromEntries(
          Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
        );
        break;
    }
  }
  return options;
}
