import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BerthError } from './berth-error.js';
import { closestMatch, levenshtein } from './closest-match.js';
import { parseConfigPairs, validateConfig } from './target-config.js';
import type { TargetModule } from './target-module.js';

function caught(run: () => unknown): BerthError {
  try {
    run();
  } catch (error) {
    if (BerthError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected an error');
}

describe('parseConfigPairs (-C key=value)', () => {
  it('splits on the first = only, so values may contain =', () => {
    expect(parseConfigPairs(['a=1', 'url=http://h/?x=1&y=2', 'empty='])).toEqual({
      a: '1',
      url: 'http://h/?x=1&y=2',
      empty: '',
    });
    expect(parseConfigPairs([])).toEqual({});
  });

  it('rejects a pair without = with MLflow’s message', () => {
    const error = caught(() => parseConfigPairs(['a=1', 'novalue']));
    expect(error.code).toBe('INVALID_PARAMETER_VALUE');
    expect(error.message).toBe(
      'Config options must be a pair and should be provided as `-C key=value` or `--config key=value`',
    );
  });

  it('rejects a repeated key', () => {
    expect(caught(() => parseConfigPairs(['a=1', 'a=2'])).message).toBe("Repeated parameter: 'a'");
  });

  it('keeps __proto__ as a plain key', () => {
    const config = parseConfigPairs(['__proto__=x']);
    expect(Object.getPrototypeOf(config)).toBe(Object.prototype);
    expect(Object.keys(config)).toEqual(['__proto__']);
  });
});

const configSchema = z.strictObject({
  instance_type: z.string().default('ml.m4.xlarge'),
  instance_count: z.number().int().min(1).optional(),
  synchronous: z.boolean().optional(),
  timeout_seconds: z.coerce.number().optional(),
  mode: z.enum(['create', 'replace', 'add']).optional(),
  tags: z.record(z.string(), z.string()).optional(),
  env: z.record(z.string(), z.string()).optional(),
  subnets: z.array(z.string()).optional(),
  region_name: z.string().nullable().optional(),
  max_concurrency: z.number().nullable().optional(),
  port: z.union([z.number(), z.literal('auto')]).optional(),
});
const sagemakerLike: Pick<TargetModule, 'configSchema'> = { configSchema };

describe('validateConfig with a zod configSchema', () => {
  it('coerces CLI strings to the schema’s types and leaves defaults to the target', () => {
    expect(
      validateConfig(
        sagemakerLike,
        {
          instance_count: '2',
          synchronous: 'True',
          timeout_seconds: '300',
          mode: 'replace',
          tags: '{"team":"ml"}',
          subnets: '["a","b"]',
          region_name: 'null',
          max_concurrency: 'null',
          port: 'auto',
        },
        'sagemaker',
      ),
    ).toEqual({
      instance_count: 2,
      synchronous: true,
      timeout_seconds: '300', // z.coerce accepts the string itself; the target's own parse converts it
      mode: 'replace',
      tags: { team: 'ml' },
      subnets: ['a', 'b'],
      region_name: 'null', // the text as typed is a valid string, so it stays one
      max_concurrency: null,
      port: 'auto',
    });
    expect(validateConfig(sagemakerLike, { synchronous: 'false', port: '8080' }, 'sagemaker')).toEqual({
      synchronous: false,
      port: 8080,
    });
  });

  it('accepts typed values from code as they are', () => {
    expect(validateConfig(sagemakerLike, { instance_count: 3, tags: { a: 'b' } }, 'sagemaker')).toEqual({
      instance_count: 3,
      tags: { a: 'b' },
    });
  });

  it('rejects an unknown key with a did-you-mean suggestion and the valid keys', () => {
    const error = caught(() => validateConfig(sagemakerLike, { instance_typ: 'ml.c5.large' }, 'sagemaker'));
    expect(error.code).toBe('INVALID_PARAMETER_VALUE');
    expect(error.message).toBe(
      "Unknown config key for target 'sagemaker': 'instance_typ' (did you mean 'instance_type'?)",
    );
    expect(error.suggestions[0]).toMatch(/^Valid keys: instance_type, instance_count, synchronous/);
    expect(error.suggestions[1]).toBe('Run `berth help -t sagemaker` for every config key with its type and default.');

    const several = caught(() => validateConfig(sagemakerLike, { bucket_name: 'b', InstanceCount: '1' }, 'sagemaker'));
    expect(several.message).toBe(
      "Unknown config keys for target 'sagemaker': 'bucket_name', 'InstanceCount' (did you mean 'instance_count'?)",
    );
  });

  it.each([
    ['instance_count', 'two', "expected integer, got 'two'"],
    ['instance_count', '1.5', "expected integer, got '1.5'"],
    ['instance_count', '0', "expected integer, got '0' (Too small: expected number to be >=1)"],
    ['synchronous', 'yes', "expected boolean (true or false), got 'yes'"],
    ['mode', 'upsert', "expected one of 'create', 'replace', 'add', got 'upsert'"],
    ['tags', '{not json', "expected a JSON object, got '{not json'"],
    ['subnets', '"a"', 'expected a JSON array'],
    ['port', 'any', "expected number or 'auto', got 'any'"],
    ['timeout_seconds', 'soon', "expected number, got 'soon'"],
  ])('names the key, the expected type and the value: %s=%s', (key, value, expected) => {
    const error = caught(() => validateConfig(sagemakerLike, { [key]: value }, 'sagemaker'));
    expect(error.code).toBe('INVALID_PARAMETER_VALUE');
    expect(error.message).toContain(`Invalid value for config key '${key}' of target 'sagemaker': ${expected}`);
  });

  it('describes a preprocessed key by the type it converts to', () => {
    const schema = z.strictObject({
      port: z.preprocess((value) => (value === '' ? undefined : value), z.coerce.number().int()).optional(),
      timeout: z.preprocess((value) => (typeof value === 'string' ? Number(value) : value), z.number().positive()),
    });
    const error = caught(() => validateConfig({ configSchema: schema }, { timeout: 'abc' }, 'local'));
    expect(error.message).toContain("Invalid value for config key 'timeout' of target 'local': expected number");
    expect(error.message).not.toContain('transform');
  });

  it('checks the whole object too (refinements across keys)', () => {
    const refined = z
      .object({ mode: z.string().optional(), archive: z.boolean().optional() })
      .refine((config) => config.mode !== 'async' || config.archive === true, {
        message: 'asynchronous mode requires archive=true',
      });
    const module = { configSchema: Object.assign(refined, { shape: { mode: z.string(), archive: z.boolean() } }) };
    expect(caught(() => validateConfig(module, { mode: 'async' }, 't')).message).toBe(
      "Invalid config for target 't': asynchronous mode requires archive=true",
    );
    expect(validateConfig(module, { mode: 'async', archive: 'true' }, 't')).toEqual({ mode: 'async', archive: true });
  });

  it('lets a loose schema take extra keys (through its catchall)', () => {
    const loose = { configSchema: z.looseObject({ known: z.number().optional() }) };
    expect(validateConfig(loose, { known: '1', extra: 'x' }, 't')).toEqual({ known: 1, extra: 'x' });
    const typedExtras = { configSchema: z.object({}).catchall(z.number()) };
    expect(validateConfig(typedExtras, { anything: '5' }, 't')).toEqual({ anything: 5 });
  });

  it('returns the config unchanged when the target has no schema', () => {
    expect(validateConfig({}, { raiseError: 'True', n: '1' }, 'faketarget')).toEqual({ raiseError: 'True', n: '1' });
  });
});

describe('closestMatch', () => {
  it('measures edit distance', () => {
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(levenshtein('', 'abc')).toBe(3);
    expect(levenshtein('same', 'same')).toBe(0);
  });

  it('suggests near words, ignoring case and separators, and nothing for far ones', () => {
    const keys = ['instance_type', 'instance_count', 'region_name', 'bucket'];
    expect(closestMatch('instanceType', keys)).toBe('instance_type');
    expect(closestMatch('regoin_name', keys)).toBe('region_name');
    expect(closestMatch('bucket_name', keys)).toBeUndefined();
    expect(closestMatch('xyz', keys)).toBeUndefined();
  });
});
