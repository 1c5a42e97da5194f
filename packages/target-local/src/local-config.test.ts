import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BerthError } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from './config-json-schema.js';
import { checkHost, configSchema, parseLocalConfig, parseTraffic } from './local-config.js';

const generatedFile = fileURLToPath(new URL('./config-json-schema.ts', import.meta.url));

describe('the committed JSON Schema of configSchema', () => {
  it('is what zod writes for the schema (rewritten with BERTH_WRITE_CONFIG_JSON_SCHEMA=1)', () => {
    const standard = (configSchema as unknown as { '~standard': { jsonSchema: { input(o: object): unknown } } })[
      '~standard'
    ];
    const fresh = standard.jsonSchema.input({ target: 'draft-2020-12' });
    if (process.env.BERTH_WRITE_CONFIG_JSON_SCHEMA) {
      const text = readFileSync(generatedFile, 'utf8');
      const head = text.slice(0, text.indexOf('export const'));
      writeFileSync(
        generatedFile,
        `${head}export const configJsonSchema: Record<string, unknown> = ${JSON.stringify(fresh, null, 2)};\n`,
      );
    }
    expect(
      configJsonSchema,
      'src/config-json-schema.ts is stale: rerun this test with BERTH_WRITE_CONFIG_JSON_SCHEMA=1',
    ).toEqual(fresh);
  });

  it('describes every key with a description and a type', () => {
    const properties = configJsonSchema.properties as Record<string, { description?: string }>;
    expect(Object.keys(properties)).toContain('traffic');
    for (const [key, property] of Object.entries(properties)) expect(property.description, key).toBeTruthy();
  });
});

describe('local config', () => {
  it('coerces -C strings', () => {
    expect(
      parseLocalConfig({
        port: '8080',
        workers: '2',
        allow_code: 'true',
        timeout: '1.5',
        env: '{"A":"1"}',
        rollback_to: '3',
      }),
    ).toEqual({ port: 8080, workers: 2, allow_code: true, timeout: 1.5, env: { A: '1' }, rollback_to: 3 });
    // Nothing is filled in: a version records only what was asked for.
    expect(parseLocalConfig({})).toEqual({});
  });

  it('reads traffic as JSON or name:weight pairs', () => {
    expect(parseTraffic('{"a":80,"b":20}')).toEqual({ a: 80, b: 20 });
    expect(parseTraffic('a:80, b:20')).toEqual({ a: 80, b: 20 });
    expect(parseLocalConfig({ traffic: 'a=1,b=3' }).traffic).toEqual({ a: 1, b: 3 });
    expect(() => parseLocalConfig({ traffic: 'a:0' })).toThrow(/above 0/);
  });

  it('rejects unknown keys and bad values with INVALID_PARAMETER_VALUE', () => {
    expect(() => parseLocalConfig({ prot: '1' })).toThrow(/unknown config key\(s\): prot \(did you mean 'port'\?\)/);
    expect(() => parseLocalConfig({ trafic: 'a:1', zzzzzzzz: '1' })).toThrow(
      /trafic \(did you mean 'traffic'\?\), zzzzzzzz\./,
    );
    expect(() => parseLocalConfig({ port: 'http' })).toThrow(/port/);
    try {
      parseLocalConfig({ workers: '-1' });
    } catch (error) {
      expect((error as { code: string }).code).toBe('INVALID_PARAMETER_VALUE');
    }
  });

  it('binds loopback by default; anything else needs auth_token_file, or allow_remote (with a warning)', () => {
    const warnings: string[] = [];
    expect(checkHost({}, (m) => warnings.push(m))).toBe('127.0.0.1');
    const refusal = (() => {
      try {
        checkHost({ host: '0.0.0.0' }, (m) => warnings.push(m));
      } catch (error) {
        return error as BerthError;
      }
    })();
    expect(refusal?.code).toBe('INVALID_PARAMETER_VALUE');
    expect(refusal?.message).toMatch(/Refusing to bind 0\.0\.0\.0 without authentication/);
    expect(refusal?.suggestions.join('\n')).toMatch(/auth_token_file=.*\n.*allow_remote=true/s);
    expect(warnings).toEqual([]);
    expect(checkHost({ host: '0.0.0.0', auth_token_file: '/t' }, (m) => warnings.push(m))).toBe('0.0.0.0');
    expect(warnings).toEqual([]);
    expect(checkHost({ host: '0.0.0.0', allow_remote: true }, (m) => warnings.push(m))).toBe('0.0.0.0');
    expect(warnings[0]).toMatch(/warning: binding 0\.0\.0\.0 without auth_token_file/);
  });

  it('reads liveness keys as numbers and auth_token_file as an absolute path', () => {
    const parsed = parseLocalConfig({
      liveness_interval: '0.2',
      liveness_timeout: '0.1',
      liveness_failures: '0',
      max_rss_mb: '512',
      auth_token_file: 'token.txt',
    });
    expect(parsed).toEqual({
      liveness_interval: 0.2,
      liveness_timeout: 0.1,
      liveness_failures: 0,
      max_rss_mb: 512,
      auth_token_file: resolve('token.txt'),
    });
    expect(() => parseLocalConfig({ liveness_failures: '-1' })).toThrow(/liveness_failures/);
    expect(() => parseLocalConfig({ max_rss: '5' })).toThrow(/did you mean 'max_rss_mb'/);
  });
});
