/**
 * Tags Berth puts on what it creates, so `berth get` can say what an endpoint serves without
 * describing every model. `app_name` on endpoint configs is MLflow's (see sagemaker-config.ts).
 */

/** MLflow's tag on the model (and, with user tags, the endpoint): the model URI deployed. */
export const MODEL_URI_TAG = 'model_uri';
export const FLAVOR_TAG = 'berth:flavor';
/** Marks an endpoint made by createEndpoint from deployments (it owns copies of their models). */
export const ENDPOINT_KIND_TAG = 'berth:kind';

/** MLflow stringifies tag values with Python's `str`. */
export function stringifyTags(tags: Record<string, string | number | boolean | null>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(tags).map(([key, value]) => [
      key,
      typeof value === 'boolean' ? (value ? 'True' : 'False') : value === null ? 'None' : String(value),
    ]),
  );
}

/** SageMaker tag values: at most 256 of letters, digits, spaces and `_.:/=+-@`; other characters become `_`. */
export function tagValue(value: string): string {
  return value.replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, '_').slice(0, 256);
}
