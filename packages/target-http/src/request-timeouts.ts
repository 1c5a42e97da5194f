import { readSeconds, type Seconds } from './environment-variable.js';

/**
 * The two timeouts of MLflow's deployments client, each from its Berth variable, else MLflow's,
 * else MLflow's default. They bound one request (one attempt, body included); waiting for a long
 * operation is many requests and has no overall limit of its own (the target has its own timeouts).
 */
export interface RequestTimeouts {
  /** predict, predict-stream (time to the answer, then between stream events), explain. 120 s. */
  predict: Seconds;
  /** every other call. 300 s. */
  request: Seconds;
}

export const PREDICT_TIMEOUT_VARIABLES = ['BERTH_DEPLOYMENT_PREDICT_TIMEOUT', 'MLFLOW_DEPLOYMENT_PREDICT_TIMEOUT'];
export const REQUEST_TIMEOUT_VARIABLES = [
  'BERTH_DEPLOYMENT_CLIENT_HTTP_REQUEST_TIMEOUT',
  'MLFLOW_DEPLOYMENT_CLIENT_HTTP_REQUEST_TIMEOUT',
];

export function requestTimeoutsFromEnvironment(environment: NodeJS.ProcessEnv = process.env): RequestTimeouts {
  return {
    predict: readSeconds(environment, PREDICT_TIMEOUT_VARIABLES, 120),
    request: readSeconds(environment, REQUEST_TIMEOUT_VARIABLES, 300),
  };
}

/** "BERTH_DEPLOYMENT_PREDICT_TIMEOUT (MLFLOW_DEPLOYMENT_PREDICT_TIMEOUT also works)", for messages. */
export function describeVariables(names: readonly string[]): string {
  const [first, ...rest] = names;
  return rest.length > 0 ? `${first} (${rest.join(', ')} also works)` : String(first);
}
