/**
 * The grammar of model and artifact URIs, with MLflow's messages for malformed ones: schemes as
 * Python's urllib reads them, `runs:/<run_id>/<path>`, `models:/<name>/<version|stage|latest>`,
 * `models:/<name>@<alias>`, `models:/<model_id>`, local paths and `file:` URIs.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BerthError } from '@berth/core';

export const REGISTERED_SCHEMES = ['', 'file', 'runs', 'models', 'mlflow-artifacts', 's3', 'http', 'https'];

/** `scheme` per Python's urllib: a letter, then letters, digits, `+`, `-`, `.`; one letter is a drive. */
export function uriScheme(uri: string): string {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri);
  if (match === null || (match[1] as string).length === 1) return '';
  return (match[1] as string).toLowerCase();
}

export function unknownSchemeError(uri: string): BerthError {
  return BerthError.invalidParameterValue(
    `Could not find a registered artifact repository for: ${uri}. Currently registered schemes are: [${REGISTERED_SCHEMES.map((scheme) => `'${scheme}'`).join(', ')}]`,
  );
}

export function localPathOf(uri: string): string {
  if (uriScheme(uri) !== 'file') return path.resolve(uri);
  // file:relative/path and file:///abs/path both occur in MLflow.
  if (uri.startsWith('file://')) return fileURLToPath(uri);
  return path.resolve(decodeURIComponent(uri.slice('file:'.length)));
}

/** `base` + `/relative`, MLflow's `append_to_uri_path`. */
export function joinArtifactUri(base: string, relative: string): string {
  if (relative === '') return base;
  return `${base.replace(/\/+$/, '')}/${relative.replace(/^\/+/, '')}`;
}

export function parseRunsUri(uri: string): { runId: string; artifactPath: string } {
  const match = /^runs:(\/\/[^/]*)?(\/.*)?$/i.exec(uri);
  const rest = match?.[2] ?? '';
  const [runId = '', ...parts] = rest.replace(/^\//, '').split('/');
  if (match === null || !rest.startsWith('/') || runId === '') {
    throw BerthError.invalidParameterValue(
      `Not a proper runs:/ URI: ${uri}. Runs URIs must be of the form 'runs:/<run_id>/run-relative/path/to/artifact'`,
    );
  }
  return { runId, artifactPath: parts.filter((part) => part !== '').join('/') };
}

export type ModelsUri =
  | { kind: 'version'; name: string; version: string }
  | { kind: 'latest'; name: string }
  | { kind: 'stage'; name: string; stage: string }
  | { kind: 'alias'; name: string; alias: string }
  | { kind: 'id'; modelId: string };

export function parseModelsUri(uri: string): ModelsUri {
  const invalid = () =>
    BerthError.invalidParameterValue(
      `Not a proper models:/ URI: ${uri}. Models URIs must be of the form 'models:/name/suffix' or 'models:/name@alias' where suffix is a version, stage, or the string 'latest' and where alias is a registered model alias. Only one of suffix or alias can be defined at a time.`,
    );
  const match = /^models:(\/\/[^/]*)?(\/.*)?$/i.exec(uri);
  const rest = match?.[2] ?? '';
  if (match === null || !rest.startsWith('/') || rest.length <= 1) throw invalid();
  const parts = rest.replace(/^\/+/, '').split('/');
  if (parts.length > 2 || (parts[0] ?? '').trim() === '') throw invalid();
  const name = decodeURIComponent(parts[0] as string);
  if (parts.length === 2) {
    const suffix = decodeURIComponent(parts[1] as string);
    if (suffix.trim() === '') throw invalid();
    if (/^\d+$/.test(suffix)) return { kind: 'version', name, version: suffix };
    if (suffix.toLowerCase() === 'latest') return { kind: 'latest', name };
    return { kind: 'stage', name, stage: suffix };
  }
  if (name.includes('@')) {
    const at = name.lastIndexOf('@');
    const modelName = name.slice(0, at);
    const alias = name.slice(at + 1);
    if (modelName.trim() === '' || alias.trim() === '') throw invalid();
    return { kind: 'alias', name: modelName, alias };
  }
  return { kind: 'id', modelId: name };
}
