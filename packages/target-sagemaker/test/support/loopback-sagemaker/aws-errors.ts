/**
 * The error answers of SageMaker's two protocols, with the codes and statuses the real service
 * uses: the control plane (AWS JSON 1.1) answers `{"__type": "ValidationException", "message": …}`
 * with 400; the runtime (REST JSON) names the error in `x-amzn-ErrorType` and answers
 * `{"message": …}` (ModelError adds the container's status and body).
 */
export class AwsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export const ACCOUNT_ID = '123456789012';

export function arnOf(region: string, kind: string, name: string): string {
  // SageMaker lower-cases resource names in ARNs.
  return `arn:aws:sagemaker:${region}:${ACCOUNT_ID}:${kind}/${name.toLowerCase()}`;
}

export function validation(message: string): AwsError {
  return new AwsError('ValidationException', message);
}

export function notFound(what: string, arn: string): AwsError {
  return validation(`Could not find ${what} "${arn}".`);
}

export function alreadyExists(what: string, arn: string): AwsError {
  return validation(`Cannot create already existing ${what} "${arn}".`);
}

/** The service's constraint message for one bad member (`1 validation error detected: …`). */
export function constraint(member: string, value: unknown, rule: string): AwsError {
  const shown = value === undefined || value === null ? 'null' : `'${String(value)}'`;
  return validation(`1 validation error detected: Value ${shown} at '${member}' failed to satisfy constraint: ${rule}`);
}

/** Resource names of models, endpoint configs and endpoints. */
const NAME_PATTERN = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

export function checkName(member: string, value: unknown): string {
  if (typeof value !== 'string') throw constraint(member, value, 'Member must not be null');
  if (value.length > 63) throw constraint(member, value, 'Member must have length less than or equal to 63');
  if (!NAME_PATTERN.test(value)) {
    throw constraint(
      member,
      value,
      'Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}',
    );
  }
  return value;
}

export function requireMember<T>(member: string, value: T | undefined | null): T {
  if (value === undefined || value === null) throw constraint(member, value, 'Member must not be null');
  return value;
}

/** AWS JSON 1.1 timestamps are epoch seconds. */
export function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}
