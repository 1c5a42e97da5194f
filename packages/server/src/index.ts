/**
 * `@berth/server`: a deployments server for one Berth target — Berth's management API under
 * `/api/berth/v1`, MLflow's deployments-server routes, bearer-token auth, OpenAPI, metrics.
 * The HTTP contract is in this package's README.
 */
export { AccessTokens, MIN_TOKEN_LENGTH, type TokenOptions } from './access-tokens.js';
export type { OperationJSON, ProgressEventJSON } from './api-schemas.js';
export { type BerthServer, isLoopbackHost, type ServerOptions, startServer } from './berth-server.js';
export { API_PREFIX } from './route-context.js';
export {
  parseTokenFile,
  READ_ONLY_TOKEN_ENV,
  resolveTokenSources,
  TOKEN_ENV,
  type TokenSources,
} from './token-sources.js';
