export { type ContentTypeDecision, negotiateContentType, type ScoringFormat } from './content-type.js';
export type { ServerMetrics } from './metrics.js';
export { type ScoringServerHandle, startScoringServer } from './scoring-server.js';
export {
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_MAX_BATCH_DELAY_MS,
  DEFAULT_TIMEOUT_SECONDS,
  type ScoringServerOptions,
} from './scoring-server-options.js';
export type { SwapResult } from './server-context.js';
