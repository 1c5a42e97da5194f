export { concatInputs, inputRowCount, splitOutput } from './batching.js';
export { defaultModelCacheDir } from './download-cache.js';
export type { JsModel, JsModelModule } from './js-flavor.js';
export { type LoadedModel, type LoadModelOptions, loadModel, selectFlavor } from './load-model.js';
export { loadMLmodel, type MLmodel, parseMLmodel, type SavedInputExampleInfo } from './mlmodel.js';
export {
  bigintToJson,
  type Column,
  type DType,
  type ModelInput,
  type ModelOutput,
  type Tensor,
  type TypedArray,
  UNNAMED_TENSOR,
} from './model-data.js';
export { ModelEvaluationError, UNEXPECTED_ERROR_MESSAGE } from './model-evaluation-error.js';
export {
  type ColSpec,
  type ColumnType,
  type ComplexType,
  type ModelSignature,
  type ParamSpec,
  parseSignature,
  type Schema,
  type TensorSpec,
} from './model-signature.js';
export { type ResolveModelUriOptions, resolveModelUri } from './model-uri.js';
export { validateOnnxSessionOptions } from './onnx-session-options.js';
export { predictionsToJSON } from './predictions-json.js';
export { type InputExample, type SaveModelOptions, saveModel } from './save-model.js';
export { describeInput, enforceInputSchema, enforceParams } from './schema-enforcement.js';
export { parseScoringRequest, type ScoringRequest } from './scoring-request.js';
