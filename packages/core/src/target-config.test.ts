import { toJsonSchema } from '@valibot/to-json-schema';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BerthError } from './berth-error.js';
import { closestMatch, levenshtein } from './closest-match.js';
import { formatConfigHelp } from './config-schema.js';
import { parseConfigPairs, validateConfig } from './target-config.js';
import type { TargetModule } from './target-module.js';

async function rejection(pending: Promise<unknown>): Promise<BerthError> {
  const error = await pending.then(
    () => undefined,
    (caughtError: unknown) => caughtError,
  );
  if (BerthError.isInstance(error)) return error;
  throw new Error(`expected a BerthError, got ${String(error)}`);
}

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
  it('coerces CLI strings to the schema’s types and leaves defaults to the target', async () => {
    expect(
      await validateConfig(
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
      timeout_seconds: 300, // z.coerce's JSON Schema says number, so the string is read as one
      mode: 'replace',
      tags: { team: 'ml' },
      subnets: ['a', 'b'],
      region_name: 'null', // the text as typed is a valid string, so it stays one
      max_concurrency: null,
      port: 'auto',
    });
    expect(await validateConfig(sagemakerLike, { synchronous: 'false', port: '8080' }, 'sagemaker')).toEqual({
      synchronous: false,
      port: 8080,
    });
  });

  it('accepts typed values from code as they are', async () => {
    expect(await validateConfig(sagemakerLike, { instance_count: 3, tags: { a: 'b' } }, 'sagemaker')).toEqual({
      instance_count: 3,
      tags: { a: 'b' },
    });
  });

  it('rejects an unknown key with a did-you-mean suggestion and the valid keys', async () => {
    const error = await rejection(validateConfig(sagemakerLike, { instance_typ: 'ml.c5.large' }, 'sagemaker'));
    expect(error.code).toBe('INVALID_PARAMETER_VALUE');
    expect(error.message).toBe(
      "Unknown config key for target 'sagemaker': 'instance_typ' (did you mean 'instance_type'?)",
    );
    expect(error.suggestions[0]).toMatch(/^Valid keys: instance_type, instance_count, synchronous/);
    expect(error.suggestions[1]).toBe('Run `berth help -t sagemaker` for every config key with its type and default.');

    const several = await rejection(
      validateConfig(sagemakerLike, { bucket_name: 'b', InstanceCount: '1' }, 'sagemaker'),
    );
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
  ])('names the key, the expected type and the value: %s=%s', async (key, value, expected) => {
    const error = await rejection(validateConfig(sagemakerLike, { [key]: value }, 'sagemaker'));
    expect(error.code).toBe('INVALID_PARAMETER_VALUE');
    expect(error.message).toContain(`Invalid value for config key '${key}' of target 'sagemaker': ${expected}`);
  });

  it('describes a preprocessed key by the type it converts to', async () => {
    const schema = z.strictObject({
      port: z.preprocess((value) => (value === '' ? undefined : value), z.coerce.number().int()).optional(),
      timeout: z.preprocess((value) => (typeof value === 'string' ? Number(value) : value), z.number().positive()),
    });
    const error = await rejection(validateConfig({ configSchema: schema }, { timeout: 'abc' }, 'local'));
    expect(error.message).toContain("Invalid value for config key 'timeout' of target 'local': expected number");
    expect(error.message).not.toContain('transform');
  });

  it('checks the whole object too (refinements across keys)', async () => {
    const refined = z
      .object({ mode: z.string().optional(), archive: z.boolean().optional() })
      .refine((config) => config.mode !== 'async' || config.archive === true, {
        message: 'asynchronous mode requires archive=true',
      });
    const module = { configSchema: refined };
    expect((await rejection(validateConfig(module, { mode: 'async' }, 't'))).message).toBe(
      "Invalid config for target 't': asynchronous mode requires archive=true",
    );
    expect(await validateConfig(module, { mode: 'async', archive: 'true' }, 't')).toEqual({
      mode: 'async',
      archive: true,
    });
  });

  it('lets a loose schema take extra keys (through its catchall)', async () => {
    const loose = { configSchema: z.looseObject({ known: z.number().optional() }) };
    expect(await validateConfig(loose, { known: '1', extra: 'x' }, 't')).toEqual({ known: 1, extra: 'x' });
    const typedExtras = { configSchema: z.object({}).catchall(z.number()) };
    expect(await validateConfig(typedExtras, { anything: '5' }, 't')).toEqual({ anything: 5 });
  });

  it('returns the config unchanged when the target has no schema', async () => {
    expect(await validateConfig({}, { raiseError: 'True', n: '1' }, 'faketarget')).toEqual({
      raiseError: 'True',
      n: '1',
    });
  });
});

describe('validateConfig with other Standard Schema libraries (valibot)', () => {
  const schema = v.strictObject({
    replicas: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
    fast: v.optional(v.boolean()),
  });

  it('reads the JSON Schema a module exports beside configSchema: coercion and did-you-mean as with zod', async () => {
    const module = { configSchema: schema, configJsonSchema: toJsonSchema(schema) };
    expect(await validateConfig(module, { replicas: '3', fast: 'TRUE' }, 'v')).toEqual({ replicas: 3, fast: true });
    const unknown = await rejection(validateConfig(module, { replica: '3' }, 'v'));
    expect(unknown.message).toBe("Unknown config key for target 'v': 'replica' (did you mean 'replicas'?)");
    const invalid = await rejection(validateConfig(module, { replicas: '0' }, 'v'));
    expect(invalid.message).toContain(
      "Invalid value for config key 'replicas' of target 'v': expected integer, got '0'",
    );
  });

  it('without any JSON Schema, tries the readings of each CLI string until the schema accepts them', async () => {
    const module = { configSchema: schema };
    expect(await validateConfig(module, { replicas: '3', fast: 'false' }, 'v')).toEqual({ replicas: 3, fast: false });
    const invalid = await rejection(validateConfig(module, { replicas: 'many' }, 'v'));
    expect(invalid.message).toContain("Invalid value for config key 'replicas' of target 'v'");
    expect(invalid.message).toContain("got 'many'");
  });
});

describe('formatConfigHelp', () => {
  it('lists every key with its type, default and description, from the schema alone', () => {
    const help = formatConfigHelp(
      z.strictObject({
        instance_count: z.number().int().min(1).default(1).describe('instances behind the endpoint'),
        mode: z.enum(['create', 'replace']).optional().describe('what to do with an existing endpoint'),
        execution_role_arn: z.string().optional().meta({ defaultDescription: "the caller's role" }),
      }),
    );
    const lines = help.split('\n');
    expect(lines[0]).toMatch(/^ {2}key +type +default +description$/);
    expect(lines[1]).toMatch(/^ {2}instance_count +integer +1 +instances behind the endpoint$/);
    expect(lines[2]).toMatch(/^ {2}mode +one of 'create', 'replace' +— +what to do with an existing endpoint$/);
    expect(lines[3]).toMatch(/^ {2}execution_role_arn +string +the caller's role$/);
  });

  it('says so when a schema cannot describe its keys', () => {
    expect(formatConfigHelp(v.strictObject({ a: v.string() }))).toContain('does not describe its keys');
    expect(
      formatConfigHelp(v.strictObject({ a: v.string() }), {
        jsonSchema: toJsonSchema(v.strictObject({ a: v.string() })),
      }),
    ).toMatch(/a +string/);
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
    expect(closestMatch('xyz', keys)).toBeUndefined();
  });

  it('suggests a key whose whole words begin or end the unknown one, or the other way round', () => {
    const keys = ['instance_type', 'instance_count', 'region_name', 'bucket', 'execution_role_arn'];
    expect(closestMatch('bucket_name', keys)).toBe('bucket');
    expect(closestMatch('bucketName', keys)).toBe('bucket');
    expect(closestMatch('s3_bucket', keys)).toBe('bucket');
    // Both instance_* keys start with the word; the nearer by edit distance wins.
    expect(closestMatch('instance', keys)).toBe('instance_type');
    expect(closestMatch('count', keys)).toBe('instance_count');
    expect(closestMatch('role_arn', keys)).toBe('execution_role_arn');
    // Words inside, or a partial word, are no match.
    expect(closestMatch('role', keys)).toBeUndefined();
    expect(closestMatch('buck_name', keys)).toBeUndefined();
    expect(closestMatch('name', ['bucket'])).toBeUndefined();
  });

  it('reaches the unknown-key error: bucket_name gets "did you mean \'bucket\'?", instance gets instance_type', async () => {
    const withBucket = { configSchema: configSchema.extend({ bucket: z.string().optional() }) };
    const error = await rejection(
      validateConfig(withBucket, { bucket_name: 'b', instance: 'ml.c5.large' }, 'sagemaker'),
    );
    expect(error.message).toBe(
      "Unknown config keys for target 'sagemaker': 'bucket_name' (did you mean 'bucket'?), 'instance' (did you mean 'instance_type'?)",
    );
  });
});
