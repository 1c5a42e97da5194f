import { BerthError, type ErrorCode } from '@berth/core';

/**
 * AWS SDK errors → BerthError with the MLflow code a caller can act on. The message keeps AWS's
 * own error name and text (they say what is wrong); the request id goes to `details` for support
 * cases. Credentials never appear in SDK error messages, so nothing secret is passed on.
 */

interface SdkErrorLike {
  name?: string;
  message?: string;
  Code?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string };
  $fault?: 'client' | 'server';
}

export function errorName(error: unknown): string {
  const like = error as SdkErrorLike | undefined;
  return like?.name ?? like?.Code ?? like?.code ?? 'Error';
}

export function httpStatusOf(error: unknown): number | undefined {
  return (error as SdkErrorLike | undefined)?.$metadata?.httpStatusCode;
}

const NOT_FOUND = new Set([
  'ResourceNotFound',
  'ResourceNotFoundException',
  'NoSuchEntity',
  'NoSuchEntityException',
  'NoSuchBucket',
  'NoSuchKey',
  'NotFound',
  'RepositoryNotFoundException',
  'ResourceNotFoundFault',
]);
const THROTTLED = new Set(['ThrottlingException', 'Throttling', 'TooManyRequestsException', 'SlowDown']);
const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'AuthorizationError']);
const UNAUTHENTICATED = new Set([
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'InvalidAccessKeyId',
  'CredentialsProviderError',
  'TokenProviderError',
]);
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'TimeoutError']);

/**
 * SageMaker answers a missing endpoint, config or model with a ValidationException whose text
 * says "Could not find …" (there is no NotFound error code in its API).
 */
export function isNotFound(error: unknown): boolean {
  const name = errorName(error);
  if (NOT_FOUND.has(name)) return true;
  const message = (error as SdkErrorLike | undefined)?.message ?? '';
  return (
    (name === 'ValidationException' || name === 'ValidationError') &&
    /could not find|does not exist|not found/i.test(message)
  );
}

export function codeFor(error: unknown): ErrorCode {
  const name = errorName(error);
  if (isNotFound(error)) return 'RESOURCE_DOES_NOT_EXIST';
  if (THROTTLED.has(name)) return 'REQUEST_LIMIT_EXCEEDED';
  if (DENIED.has(name)) return 'PERMISSION_DENIED';
  if (UNAUTHENTICATED.has(name)) return 'UNAUTHENTICATED';
  if (NETWORK.has(name) || NETWORK.has((error as SdkErrorLike | undefined)?.code ?? ''))
    return 'TEMPORARILY_UNAVAILABLE';
  switch (name) {
    case 'ValidationException':
    case 'ValidationError':
    case 'InvalidParameterValue':
    case 'MalformedPolicyDocument':
      return 'INVALID_PARAMETER_VALUE';
    case 'ResourceInUse':
    case 'ConflictException':
    case 'BucketAlreadyExists':
      return 'RESOURCE_CONFLICT';
    case 'ResourceLimitExceeded':
    case 'ServiceQuotaExceededException':
      return 'RESOURCE_EXHAUSTED';
    case 'ModelNotReadyException':
    case 'ServiceUnavailable':
    case 'ServiceUnavailableException':
      return 'TEMPORARILY_UNAVAILABLE';
    default:
      return httpStatusOf(error) !== undefined &&
        (httpStatusOf(error) as number) < 500 &&
        (error as SdkErrorLike).$fault === 'client'
        ? 'INVALID_PARAMETER_VALUE'
        : 'INTERNAL_ERROR';
  }
}

function suggestionsFor(code: ErrorCode, error: unknown): string[] {
  switch (code) {
    case 'UNAUTHENTICATED':
      return [
        'Check the AWS credentials Berth found: AWS_PROFILE (and `aws sso login` for SSO profiles), or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN.',
      ];
    case 'PERMISSION_DENIED':
      return [
        'The credentials in use lack a permission the message names; `aws sts get-caller-identity` shows who they are.',
      ];
    case 'REQUEST_LIMIT_EXCEEDED':
      return ['AWS throttled the request; wait a moment and try again.'];
    case 'TEMPORARILY_UNAVAILABLE':
      return NETWORK.has(errorName(error)) || NETWORK.has((error as SdkErrorLike).code ?? '')
        ? ['AWS could not be reached; check the network, or AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> if set.']
        : ['Try again in a moment.'];
    default:
      return [];
  }
}

/** `what` says what Berth was doing: "Could not describe the endpoint 'iris'". */
export function awsError(error: unknown, what: string): BerthError {
  if (BerthError.isInstance(error)) return error;
  const code = codeFor(error);
  const like = error as SdkErrorLike;
  const requestId = like?.$metadata?.requestId;
  return new BerthError(`${what}: ${errorName(error)}: ${like?.message ?? String(error)}`, {
    code,
    cause: error,
    suggestions: suggestionsFor(code, error),
    ...(requestId ? { details: { awsRequestId: requestId } } : {}),
  });
}
