import { describe, expect, it } from 'vitest';
import { AccessTokens, authorize, tokenFromHeader } from './access-tokens.js';

const WRITE = 'write-token-abcdefghijkl';
const READ = 'read-token-abcdefghijklm';

describe('AccessTokens', () => {
  const tokens = new AccessTokens({ readWrite: [WRITE, 'second-write-token-xyz'], readOnly: [READ] });

  it('grants by token, for every configured token (rotation)', () => {
    expect(tokens.grantOf(`Bearer ${WRITE}`)).toBe('readWrite');
    expect(tokens.grantOf('Bearer second-write-token-xyz')).toBe('readWrite');
    expect(tokens.grantOf(`Bearer ${READ}`)).toBe('readOnly');
    expect(tokens.grantOf(`bearer ${READ}`)).toBe('readOnly');
    expect(tokens.grantOf(`Bearer ${READ}x`)).toBeUndefined();
    expect(tokens.grantOf(undefined)).toBeUndefined();
    expect(tokens.generated).toBeUndefined();
  });

  it('authorize: 401 without a known token, 403 for read-only on a write', () => {
    expect(authorize(tokens, `Bearer ${WRITE}`, 'write')).toEqual({ ok: true });
    expect(authorize(tokens, `Bearer ${READ}`, 'read')).toEqual({ ok: true });
    expect(authorize(tokens, `Bearer ${READ}`, 'write')).toMatchObject({
      ok: false,
      status: 403,
      code: 'PERMISSION_DENIED',
    });
    expect(authorize(tokens, 'Bearer nope-nope-nope-nope', 'read')).toMatchObject({
      ok: false,
      status: 401,
      code: 'UNAUTHENTICATED',
    });
  });

  it('generates a read-write token only when none is given', () => {
    const generated = new AccessTokens({ readOnly: [READ] });
    expect(generated.generated).toMatch(/^[\w-]{43}$/);
    expect(generated.grantOf(`Bearer ${generated.generated}`)).toBe('readWrite');
    expect(new AccessTokens().generated).not.toBe(generated.generated);
  });

  it('refuses short tokens, tokens with whitespace and a token in both roles', () => {
    expect(() => new AccessTokens({ readWrite: ['short'] })).toThrow(/at least 16/);
    expect(() => new AccessTokens({ readOnly: ['has a space in it!!'] })).toThrow(/whitespace/);
    expect(() => new AccessTokens({ readWrite: [WRITE], readOnly: [WRITE] })).toThrow(/read-write and as read-only/);
  });
});

describe('tokenFromHeader', () => {
  it('reads Bearer and Basic (password), nothing else', () => {
    expect(tokenFromHeader('Bearer abc')).toBe('abc');
    expect(tokenFromHeader(`Basic ${Buffer.from('user:pa:ss').toString('base64')}`)).toBe('pa:ss');
    expect(tokenFromHeader(`Basic ${Buffer.from('nopassword').toString('base64')}`)).toBeUndefined();
    expect(tokenFromHeader('Digest abc')).toBeUndefined();
    expect(tokenFromHeader('abc')).toBeUndefined();
    expect(tokenFromHeader('Bearer   ')).toBeUndefined();
  });
});
