import { describe, expect, it } from 'vitest';
import { matchInvocationPath } from './berth-server.js';
import { proxyUrlOf } from './endpoint-catalog.js';
import { redactValues } from './log-redaction.js';
import { preferredWaitMs } from './management-routes.js';
import { decodePageToken, encodePageToken } from './mlflow-routes.js';

describe('matchInvocationPath', () => {
  it('matches the MLflow invocation paths and decodes the name', () => {
    expect(matchInvocationPath('/endpoints/iris/invocations')).toBe('iris');
    expect(matchInvocationPath('/endpoints/my%20model/invocations?x=1')).toBe('my model');
    expect(matchInvocationPath('/gateway/iris/invocations')).toBe('iris');
    expect(matchInvocationPath('/endpoints//invocations')).toBeUndefined();
    expect(matchInvocationPath('/endpoints/a/b/invocations')).toBeUndefined();
    expect(matchInvocationPath('/api/berth/v1/endpoints/iris')).toBeUndefined();
    expect(matchInvocationPath('/endpoints/%E0%A4%A/invocations')).toBeUndefined();
  });
});

describe('preferredWaitMs', () => {
  it('reads RFC 7240 wait, capped at 60 s', () => {
    expect(preferredWaitMs('wait=5')).toBe(5000);
    expect(preferredWaitMs('respond-async, wait=2.5')).toBe(2500);
    expect(preferredWaitMs('wait=600')).toBe(60_000);
    expect(preferredWaitMs(undefined)).toBe(0);
    expect(preferredWaitMs('handling=lenient')).toBe(0);
  });
});

describe('page tokens', () => {
  it('round-trip, and a foreign token is INVALID_PARAMETER_VALUE', () => {
    expect(decodePageToken(encodePageToken('my-model'))).toBe('my-model');
    expect(() => decodePageToken('eyJpbmRleCI6IDExfQ==')).toThrow(
      expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }),
    );
  });
});

describe('redactValues', () => {
  it('replaces every string of the config, nested ones included, longest first', () => {
    const config = { env: { API_KEY: 'sk-12345678' }, list: ['abcd', 'abcdefgh'], port: 8080, short: 'ab' };
    expect(redactValues('key sk-12345678 and abcdefgh, abcd, ab, 8080', config)).toBe(
      'key [redacted] and [redacted], [redacted], ab, 8080',
    );
    expect(redactValues('nothing', undefined)).toBe('nothing');
  });
});

describe('proxyUrlOf', () => {
  it('takes only plain http on loopback', () => {
    expect(proxyUrlOf({ url: 'http://127.0.0.1:5000' })?.port).toBe('5000');
    expect(proxyUrlOf({ url: 'http://localhost:80/base' })?.pathname).toBe('/base');
    expect(proxyUrlOf({ url: 'http://[::1]:9000' })?.hostname).toBe('[::1]');
    expect(proxyUrlOf({ url: 'https://127.0.0.1:5000' })).toBeUndefined();
    expect(proxyUrlOf({ url: 'http://10.0.0.1:5000' })).toBeUndefined();
    expect(proxyUrlOf({ url: 'http://user:pw@127.0.0.1:5000' })).toBeUndefined();
    expect(proxyUrlOf({ url: 'not a url' })).toBeUndefined();
    expect(proxyUrlOf({})).toBeUndefined();
  });
});
