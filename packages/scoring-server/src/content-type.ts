/**
 * Content-type negotiation for `POST /invocations`, as MLflow's scoring server does it (split on
 * `;`, a `charset` other than UTF-8 and any other parameter are refused), except that a missing
 * header is a clean 415 where MLflow crashes with a 500.
 */

export type ScoringFormat = 'json' | 'csv';

export type ContentTypeDecision = { ok: true; format: ScoringFormat } | { ok: false; status: 415; message: string };

const SUPPORTED = "Types: ['text/csv', 'application/json']";

const PROTOCOL_CHANGE_NOTE =
  'IMPORTANT: The MLflow Model scoring protocol has changed in MLflow version 2.0. If you are seeing this error, ' +
  'you are likely using an outdated scoring request format. To resolve the error, either update your request ' +
  "format or adjust your MLflow Model's requirements file to specify an older version of MLflow (for example, " +
  "change the 'mlflow' requirement specifier to 'mlflow==1.30.0'). If you are making a request using the MLflow " +
  'client (e.g. via `mlflow.pyfunc.spark_udf()`), upgrade your MLflow client to a version >= 2.0 in order to use ' +
  'the new request format. For more information about the updated MLflow Model scoring protocol in MLflow 2.0, see ' +
  'https://mlflow.org/docs/latest/models.html#deploy-mlflow-models.';

// The answers for the two headers nearly every client sends, shared (decisions are read-only).
const JSON_DECISION: ContentTypeDecision = { ok: true, format: 'json' };
const CSV_DECISION: ContentTypeDecision = { ok: true, format: 'csv' };

export function negotiateContentType(header: string | undefined): ContentTypeDecision {
  if (header === 'application/json') return JSON_DECISION;
  if (header === 'text/csv') return CSV_DECISION;
  if (header === undefined || header.trim() === '') {
    return {
      ok: false,
      status: 415,
      message: `This predictor only supports the following content types: ${SUPPORTED}. Got no Content-Type header.`,
    };
  }
  const [mime = '', ...rest] = header.split(';');
  const parameters = new Map<string, string>();
  for (const part of rest) {
    if (part.trim() === '') continue;
    const equals = part.indexOf('=');
    const key = (equals === -1 ? part : part.slice(0, equals)).trim().toLowerCase();
    const value = equals === -1 ? '' : part.slice(equals + 1).trim();
    parameters.set(key, value.replace(/^"(.*)"$/, '$1'));
  }
  const charset = parameters.get('charset');
  if (charset !== undefined && charset.toLowerCase() !== 'utf-8' && charset.toLowerCase() !== 'utf8') {
    return { ok: false, status: 415, message: 'The scoring server only supports UTF-8' };
  }
  parameters.delete('charset');
  if (parameters.size > 0) {
    const keys = `{${[...parameters.keys()].map((key) => `'${key}'`).join(', ')}}`;
    return {
      ok: false,
      status: 415,
      message: `Unrecognized content type parameters: ${keys}. ${PROTOCOL_CHANGE_NOTE}`,
    };
  }
  const type = mime.trim().toLowerCase();
  if (type === 'application/json') return JSON_DECISION;
  if (type === 'text/csv') return CSV_DECISION;
  return {
    ok: false,
    status: 415,
    message: `This predictor only supports the following content types: ${SUPPORTED}. Got '${mime.trim()}'.`,
  };
}
