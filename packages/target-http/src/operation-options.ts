/**
 * Spec 1.1's progress reporting (`ProgressEvent`, `OperationOptions`), declared here until
 * `@berth/core` exports them; the shapes are the spec's, so callers of either see one type.
 */
export interface ProgressEvent {
  message: string;
  state?: string;
  elapsedMs?: number;
  /** What happens if the caller stops waiting now. */
  interruptHint?: string;
}

export interface OperationOptions {
  onProgress?: (event: ProgressEvent) => void;
  signal?: AbortSignal;
}
