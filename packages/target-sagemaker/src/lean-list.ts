import { createHash, createHmac } from 'node:crypto';
import type { Agent as HttpAgent, IncomingMessage, RequestOptions } from 'node:http';
import { awsError } from './aws-errors.js';
import type { EndpointSummary } from './deployment-view.js';
import { type IniProfile, mergedProfile } from './shared-ini.js';

/**
 * `berth list -t sagemaker` without the AWS SDK's SageMaker client (one 820 KB CJS bundle that
 * costs many times the list's start-time budget to load): ListEndpoints as the SDK sends it (AWS
 * JSON 1.1, SigV4-signed in node:crypto, every page), over node:http(s).
 *
 * It answers only when the credentials and endpoint are the cheap kind, found as the SDK's default
 * chain finds them: `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` (not when `AWS_PROFILE` is set: the
 * SDK then skips the environment too), else static keys of the profile in the shared credentials or
 * config file; the endpoint from `AWS_ENDPOINT_URL_SAGEMAKER`, `AWS_ENDPOINT_URL`, else
 * `https://api.sagemaker.<region>.amazonaws.com[.cn]`. Anything else — a role to assume, SSO,
 * `credential_process`, web identity, container or instance metadata, FIPS or dual-stack endpoints,
 * endpoints in the config file, other partitions — returns undefined and the caller uses the SDK.
 */

export interface StaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface LeanTarget {
  credentials: StaticCredentials;
  /** Base URL of the SageMaker API. */
  endpoint: URL;
}

/** Profile keys that make the SDK do more than read static keys (assume a role, SSO, a process…). */
const SDK_ONLY_PROFILE_KEYS = [
  'role_arn',
  'source_profile',
  'credential_source',
  'credential_process',
  'sso_session',
  'sso_start_url',
  'sso_account_id',
  'sso_role_name',
  'sso_region',
  'web_identity_token_file',
  'login_session',
];
/** Profile keys that change the endpoint the SDK resolves. */
const SDK_ONLY_ENDPOINT_KEYS = ['endpoint_url', 'services', 'use_fips_endpoint', 'use_dualstack_endpoint'];

const TRUE = /^true$/i;

/** Where the lean path can go, or undefined when only the SDK can resolve credentials or endpoint. */
export async function leanTarget(
  region: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LeanTarget | undefined> {
  if (TRUE.test(env.AWS_USE_FIPS_ENDPOINT ?? '') || TRUE.test(env.AWS_USE_DUALSTACK_ENDPOINT ?? '')) return undefined;
  const profile = await mergedProfile(env);
  const ignoreConfigured = TRUE.test(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS ?? '');
  if (profile && !ignoreConfigured && SDK_ONLY_ENDPOINT_KEYS.some((key) => profile[key] !== undefined)) {
    return undefined;
  }
  const credentials = staticCredentials(env, profile);
  if (credentials === undefined) return undefined;
  const endpoint = endpointUrl(region, env, ignoreConfigured);
  return endpoint === undefined ? undefined : { credentials, endpoint };
}

function staticCredentials(env: NodeJS.ProcessEnv, profile: IniProfile | undefined): StaticCredentials | undefined {
  if (!env.AWS_PROFILE) {
    const accessKeyId = env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
    if (accessKeyId && secretAccessKey) {
      return {
        accessKeyId,
        secretAccessKey,
        ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
      };
    }
  }
  if (profile === undefined || SDK_ONLY_PROFILE_KEYS.some((key) => profile[key] !== undefined)) return undefined;
  const accessKeyId = profile.aws_access_key_id;
  const secretAccessKey = profile.aws_secret_access_key;
  if (!accessKeyId || !secretAccessKey) return undefined;
  return {
    accessKeyId,
    secretAccessKey,
    ...(profile.aws_session_token ? { sessionToken: profile.aws_session_token } : {}),
  };
}

function endpointUrl(region: string, env: NodeJS.ProcessEnv, ignoreConfigured: boolean): URL | undefined {
  const configured = ignoreConfigured ? undefined : env.AWS_ENDPOINT_URL_SAGEMAKER || env.AWS_ENDPOINT_URL;
  if (configured) {
    try {
      const url = new URL(configured);
      return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
    } catch {
      return undefined; // the SDK says what is wrong with it
    }
  }
  // The aws, aws-us-gov and aws-cn partitions; others (ISO) are left to the SDK's endpoint rules.
  if (/^cn-[a-z]+-\d+$/.test(region)) return new URL(`https://api.sagemaker.${region}.amazonaws.com.cn`);
  if (/^(?:us-gov|[a-z]{2})-[a-z]+-\d+$/.test(region) && !/iso/.test(region)) {
    return new URL(`https://api.sagemaker.${region}.amazonaws.com`);
  }
  return undefined;
}

/** Headers never signed (they may change on the way), as in `@smithy/signature-v4`. */
const UNSIGNED_HEADERS = new Set(['authorization', 'connection', 'expect', 'user-agent', 'x-amzn-trace-id']);

const sha256Hex = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
/** RFC 3986 escaping, as SigV4 wants it. */
const escapeUri = (value: string) =>
  encodeURIComponent(value).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);

export interface SignRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * AWS Signature Version 4 for a request without a query string (all AWS JSON 1.1 calls), in node:crypto:
 * `@smithy/signature-v4` alone costs more to load (its `@smithy/core` submodules) than the rest of
 * `berth list`. Adds `x-amz-date`, `x-amz-content-sha256`, `x-amz-security-token` and `authorization`,
 * exactly as `@smithy/signature-v4` does (src/lean-list.test.ts holds the two against each other).
 */
export function signV4(
  request: SignRequest,
  credentials: StaticCredentials,
  region: string,
  service: string,
  now: Date = new Date(),
): Record<string, string> {
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const dateStamp = amzDate.slice(0, 8);
  const payloadHash = sha256Hex(request.body);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
  headers['x-amz-date'] = amzDate;
  headers['x-amz-content-sha256'] = payloadHash;
  if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
  const signed = Object.keys(headers)
    .filter((name) => !UNSIGNED_HEADERS.has(name))
    .sort();
  const canonicalHeaders = signed
    .map((name) => `${name}:${String(headers[name]).trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  // Non-S3 services escape the path once more (smithy's uriEscapePath).
  const canonicalPath = request.path
    .split('/')
    .map((segment) => escapeUri(segment))
    .join('/');
  const canonicalRequest = [request.method, canonicalPath, '', canonicalHeaders, signed.join(';'), payloadHash].join(
    '\n',
  );
  const scope = `${dateStamp}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, dateStamp), region), service), 'aws4_request');
  const signature = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signed.join(';')}, Signature=${signature}`;
  return headers;
}

export interface LeanListOptions {
  /** ListEndpoints' MaxResults (default 100, its maximum). */
  pageSize?: number;
  /** Attempts per page for throttling, 5xx and dropped connections, as the SDK's standard mode (3). */
  maxAttempts?: number;
}

const RETRYABLE_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ServiceUnavailable',
  'InternalFailure',
]);
const RETRYABLE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT']);
const IDLE_TIMEOUT_MS = 60_000;

interface AwsFailure extends Error {
  $metadata?: { httpStatusCode?: number; requestId?: string };
  $fault?: 'client' | 'server';
  code?: string;
}

/** Every endpoint, all pages, sorted as the SDK path asks (CreationTime, ascending). */
export async function leanListEndpoints(
  region: string,
  target: LeanTarget,
  options: LeanListOptions = {},
): Promise<EndpointSummary[]> {
  const transport = target.endpoint.protocol === 'https:' ? await import('node:https') : await import('node:http');
  const agent: HttpAgent = new transport.Agent({ keepAlive: true, maxSockets: 1 });
  const summaries: EndpointSummary[] = [];
  try {
    let token: string | undefined;
    do {
      const page = (await withRetries(options.maxAttempts ?? 3, () =>
        post(transport.request, agent, target, region, {
          MaxResults: options.pageSize ?? 100,
          SortBy: 'CreationTime',
          SortOrder: 'Ascending',
          ...(token ? { NextToken: token } : {}),
        }),
      )) as { Endpoints?: EndpointSummary[]; NextToken?: string };
      summaries.push(...(page.Endpoints ?? []));
      token = page.NextToken;
    } while (token);
  } catch (error) {
    throw awsError(error, 'Could not list the SageMaker endpoints');
  } finally {
    agent.destroy();
  }
  return summaries;
}

async function withRetries<T>(attempts: number, send: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      const failure = error as AwsFailure;
      const status = failure.$metadata?.httpStatusCode ?? 0;
      const retryable =
        RETRYABLE_NAMES.has(failure.name) || RETRYABLE_CODES.has(failure.code ?? '') || status >= 500 || status === 429;
      if (!retryable || attempt >= attempts) throw error;
      // Full jitter on 100 ms × 2^attempt, as the SDK's standard retry strategy.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 100 * 2 ** attempt));
    }
  }
}

async function post(
  request: (
    options: RequestOptions,
    callback: (response: IncomingMessage) => void,
  ) => import('node:http').ClientRequest,
  agent: HttpAgent,
  target: LeanTarget,
  region: string,
  input: Record<string, unknown>,
): Promise<unknown> {
  const { endpoint } = target;
  const body = JSON.stringify(input);
  const basePath = endpoint.pathname.replace(/\/+$/, '');
  const unsigned = {
    method: 'POST',
    path: `${basePath}/`,
    headers: {
      host: endpoint.host,
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'SageMaker.ListEndpoints',
      'content-length': String(Buffer.byteLength(body)),
    },
    body,
  };
  const headers = signV4(unsigned, target.credentials, region, 'sagemaker');
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        method: 'POST',
        hostname: endpoint.hostname,
        port: endpoint.port || undefined,
        path: unsigned.path,
        headers,
        agent,
        timeout: IDLE_TIMEOUT_MS,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = response.statusCode ?? 0;
          const requestId = headerOf(response, 'x-amzn-requestid');
          let parsed: Record<string, unknown> | undefined;
          try {
            parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
          } catch {
            parsed = undefined;
          }
          if (status >= 200 && status < 300 && parsed !== undefined) return resolve(parsed);
          reject(failureOf(status, parsed, text, headerOf(response, 'x-amzn-errortype'), requestId));
        });
      },
    );
    outgoing.on('timeout', () => {
      outgoing.destroy(Object.assign(new Error(`no answer for ${IDLE_TIMEOUT_MS / 1000} s`), { name: 'TimeoutError' }));
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

function headerOf(response: IncomingMessage, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** An AWS JSON error as the SDK shapes it: the name from `__type` or the error-type header, its message. */
function failureOf(
  status: number,
  body: Record<string, unknown> | undefined,
  text: string,
  errorType: string | undefined,
  requestId: string | undefined,
): AwsFailure {
  const rawType = (typeof body?.__type === 'string' ? body.__type : undefined) ?? errorType ?? '';
  // `aws.protocoltests#ValidationException`, `ValidationException:http://…` → ValidationException.
  const name = rawType.split(':')[0]?.split('#').pop() || (status >= 500 ? 'InternalFailure' : 'UnknownError');
  const message =
    (typeof body?.message === 'string' && body.message) ||
    (typeof body?.Message === 'string' && body.Message) ||
    (body === undefined ? `HTTP ${status}: ${text.slice(0, 200)}` : `HTTP ${status}`);
  const failure = new Error(message) as AwsFailure;
  failure.name = name;
  failure.$fault = status >= 500 ? 'server' : 'client';
  failure.$metadata = { httpStatusCode: status, ...(requestId ? { requestId } : {}) };
  return failure;
}
