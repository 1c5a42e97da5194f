import type { ModelInput, ModelOutput } from './model-data.js';

/** A loaded flavor: runs already schema-enforced input. */
export interface FlavorRunner {
  /** `orientation` says how the caller's request was shaped (frame → records answer). */
  predict(
    input: ModelInput,
    params: Record<string, unknown> | undefined,
    orientation: 'records' | 'tensors',
  ): Promise<ModelOutput>;
  close(): Promise<void>;
}

export const SUPPORTED_FLAVORS = ['onnx', 'js'] as const;
