import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { BerthError } from '@berth/core';

export type Access = 'read' | 'write';

export interface TokenOptions {
  /** Tokens that may do everything. None → one is generated (see `AccessTokens.generated`). */
  readWrite?: readonly string[];
  /** Tokens that may read and predict but not change anything. */
  readOnly?: readonly string[];
}

export const MIN_TOKEN_LENGTH = 16;

export type Grant = 'readWrite' | 'readOnly';

interface StoredToken {
  digest: Buffer;
  grant: Grant;
}

function digest(value: string): Buffer {
  return hash('sha256', value, 'buffer');
}

function checkToken(token: string, role: string): void {
  if (token.length < MIN_TOKEN_LENGTH) {
    throw BerthError.invalidParameterValue(
      `A ${role} token is ${token.length} characters long; tokens need at least ${MIN_TOKEN_LENGTH}.`,
      { suggestions: ['Generate one with: node -e "console.log(crypto.randomBytes(32).toString(\'base64url\'))"'] },
    );
  }
  if (/\s/.test(token)) throw BerthError.invalidParameterValue(`A ${role} token contains whitespace.`);
}

/**
 * The tokens the server accepts. A presented token is hashed and compared with every stored digest
 * by `timingSafeEqual`, without stopping at the first match: the time taken does not depend on which
 * token (if any) matched, nor on how much of one matched.
 */
export class AccessTokens {
  private readonly stored: StoredToken[];
  /** The read-write token made because none was given (to be shown once by the caller). */
  readonly generated: string | undefined;

  constructor(options: TokenOptions = {}) {
    const readWrite = [...(options.readWrite ?? [])];
    const readOnly = [...(options.readOnly ?? [])];
    for (const token of readWrite) checkToken(token, 'read-write');
    for (const token of readOnly) checkToken(token, 'read-only');
    const both = readWrite.filter((token) => readOnly.includes(token));
    if (both.length > 0) {
      throw BerthError.invalidParameterValue('The same token is configured as read-write and as read-only.', {
        suggestions: ['Give the read-only role its own token.'],
      });
    }
    if (readWrite.length === 0) {
      this.generated = randomBytes(32).toString('base64url');
      readWrite.push(this.generated);
    }
    this.stored = [
      ...readWrite.map((token) => ({ digest: digest(token), grant: 'readWrite' as const })),
      ...readOnly.map((token) => ({ digest: digest(token), grant: 'readOnly' as const })),
    ];
  }

  /** The grant of the token in an `Authorization` header (Bearer, or Basic with the token as password). */
  grantOf(header: string | undefined): Grant | undefined {
    const token = tokenFromHeader(header);
    if (token === undefined) return undefined;
    const presented = digest(token);
    let grant: Grant | undefined;
    for (const candidate of this.stored) {
      if (timingSafeEqual(candidate.digest, presented)) grant ??= candidate.grant;
    }
    return grant;
  }
}

/** `Bearer <token>`, or `Basic base64(user:token)` as MLflow's client sends with username/password set. */
export function tokenFromHeader(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const space = header.indexOf(' ');
  if (space < 0) return undefined;
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (value === '') return undefined;
  if (scheme === 'bearer') return value;
  if (scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon < 0 ? undefined : decoded.slice(colon + 1);
  }
  return undefined;
}

export type AuthResult = { ok: true } | { ok: false; status: 401 | 403; code: string; message: string };

const UNAUTHENTICATED: AuthResult = {
  ok: false,
  status: 401,
  code: 'UNAUTHENTICATED',
  message:
    'Missing or invalid token: send "Authorization: Bearer <token>" (berth: set BERTH_TOKEN; MLflow clients: MLFLOW_TRACKING_TOKEN).',
};

const READ_ONLY: AuthResult = {
  ok: false,
  status: 403,
  code: 'PERMISSION_DENIED',
  message: 'This token is read-only: it may list, get and predict, but not create, update or delete.',
};

const ALLOWED: AuthResult = { ok: true };

export function authorize(tokens: AccessTokens, header: string | undefined, access: Access): AuthResult {
  return decide(tokens.grantOf(header), access);
}

/** What a grant (or none) may do on a route of `access`. */
export function decide(grant: Grant | undefined, access: Access): AuthResult {
  if (grant === undefined) return UNAUTHENTICATED;
  if (access === 'write' && grant !== 'readWrite') return READ_ONLY;
  return ALLOWED;
}
