/**
 * Bearer-token checks: the optional auth token of the scoring routes (`authToken` /
 * `--auth-token-file`) and the control channel's token. One comparison for both, in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { BerthError } from '@berth/core';

/** Shortest token accepted: shorter ones can be guessed by a client that tries long enough. */
export const MINIMUM_TOKEN_LENGTH = 16;

/**
 * Routes that answer without a token when auth is on: liveness and readiness probes (a load
 * balancer, Kubernetes or the local supervisor) carry no credentials and learn nothing from them.
 */
const OPEN_PATHS: ReadonlySet<string> = new Set(['/ping', '/health', '/v2/health/live', '/v2/health/ready']);

export function isOpenPath(path: string): boolean {
  return OPEN_PATHS.has(path);
}

/**
 * A check of an `Authorization` header against one token. The given value is hashed first so that
 * the constant-time comparison always sees two 32-byte digests: neither the content nor the length
 * of the token leaks through timing.
 */
export function bearerCheck(token: string): (header: string | undefined) => boolean {
  const expected = createHash('sha256').update(token).digest();
  return (header) => {
    if (header === undefined || header.length < 7 || header.slice(0, 7).toLowerCase() !== 'bearer ') return false;
    const given = createHash('sha256').update(header.slice(7).trim()).digest();
    return timingSafeEqual(given, expected);
  };
}

/** Hosts that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare);
}

/** Validates a token given in code or read from a file. */
export function checkToken(token: string, source: string): string {
  if (token.length < MINIMUM_TOKEN_LENGTH) {
    throw new BerthError(
      `The auth token from ${source} has ${token.length} characters; at least ${MINIMUM_TOKEN_LENGTH} are needed.`,
      {
        code: 'INVALID_PARAMETER_VALUE',
        suggestions: ['Generate one with: openssl rand -hex 24 > token.txt && chmod 600 token.txt'],
      },
    );
  }
  if (/\s/.test(token)) {
    throw BerthError.invalidParameterValue(
      `The auth token from ${source} contains whitespace; a bearer token is one word (e.g. openssl rand -hex 24).`,
    );
  }
  return token;
}

/** Reads a token file: its content without the trailing newline editors and `echo` add. */
export async function readTokenFile(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new BerthError(`Cannot read the auth token file "${file}" (${code ?? (error as Error).message}).`, {
      code: code === 'ENOENT' ? 'RESOURCE_DOES_NOT_EXIST' : 'INVALID_PARAMETER_VALUE',
      cause: error,
      suggestions: ['Write a token there first, e.g. openssl rand -hex 24 > token.txt && chmod 600 token.txt'],
    });
  }
  return checkToken(text.replace(/\r?\n$/, ''), `"${file}"`);
}

/**
 * The auth settings a server starts with. Binding an address other machines can reach without a
 * token is refused unless the caller waived it explicitly.
 */
export async function resolveAuthToken(options: {
  authToken?: string | undefined;
  authTokenFile?: string | undefined;
  allowUnauthenticated?: boolean | undefined;
  host: string;
}): Promise<string | undefined> {
  if (options.authToken !== undefined && options.authTokenFile !== undefined) {
    throw BerthError.invalidParameterValue('Give the auth token either as authToken or as authTokenFile, not both.');
  }
  const token =
    options.authTokenFile !== undefined
      ? await readTokenFile(options.authTokenFile)
      : options.authToken !== undefined
        ? checkToken(options.authToken, 'authToken')
        : undefined;
  if (token === undefined && !isLoopbackHost(options.host) && options.allowUnauthenticated !== true) {
    throw new BerthError(
      `Refusing to listen on ${options.host} without authentication: every machine that can reach it could use the model.`,
      {
        code: 'INVALID_PARAMETER_VALUE',
        suggestions: [
          'Require a token: --auth-token-file <file> (programmatic: authTokenFile), e.g. after openssl rand -hex 24 > token.txt',
          'Or, if something in front of the server authenticates requests, waive this with --allow-unauthenticated (allowUnauthenticated: true)',
        ],
      },
    );
  }
  return token;
}
