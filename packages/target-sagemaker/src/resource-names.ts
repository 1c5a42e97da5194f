import { randomUUID } from 'node:crypto';
import { BerthError } from '@berth/core';

/** SageMaker's limit for endpoint, endpoint-config, model and variant names. */
export const MAX_NAME_LENGTH = 63;
const UNIQUE_ID_LENGTH = 20;

/**
 * MLflow's `_truncate_name`: cuts the middle out, keeping the first `available // 2` and the last
 * `available - available // 2` characters around `---`, so both the app name's start and its end
 * (often a version) stay readable.
 */
export function truncateName(name: string, maxLength: number): string {
  if (name.length <= maxLength) return name;
  const available = maxLength - 3;
  const head = Math.floor(available / 2);
  return `${name.slice(0, head)}---${name.slice(name.length - (available - head))}`;
}

/** MLflow's `_get_unique_name`: `{base}{suffix}{20 hex}` within 63 characters (`iris-model-…`). */
export function uniqueName(base: string, suffix: string, randomHex: () => string = randomHex20): string {
  const id = randomHex().slice(0, UNIQUE_ID_LENGTH);
  return `${truncateName(base, MAX_NAME_LENGTH - (suffix.length + id.length))}${suffix}${id}`;
}

function randomHex20(): string {
  return randomUUID().replaceAll('-', '');
}

export const modelName = (app: string) => uniqueName(app, '-model-');
export const endpointConfigName = (app: string) => uniqueName(app, '-config-');

/** SageMaker's endpoint name rule, checked before anything is created (AWS would refuse it later). */
export function checkEndpointName(name: string): void {
  if (/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(name)) return;
  throw BerthError.invalidParameterValue(
    `'${name}' is not a valid SageMaker endpoint name: use 1-63 letters, digits and hyphens, starting and ending with a letter or digit.`,
    { suggestions: [`For example: ${suggestEndpointName(name)}`] },
  );
}

function suggestEndpointName(name: string): string {
  const cleaned = name
    .replace(/[^a-zA-Z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_NAME_LENGTH)
    .replace(/-+$/, '');
  return cleaned === '' ? 'my-model' : cleaned;
}
