import { validateConfig } from '@berth/core/registry';
import { describe, expect, it } from 'vitest';
import { configJsonSchema, configSchema, splitConfig } from './http-config.js';

describe('configSchema', () => {
  it('is described by configJsonSchema exactly as zod describes it', () => {
    const fromZod = configSchema['~standard'].jsonSchema.input({ target: 'draft-2020-12' });
    const { $schema: _dialect, ...rest } = fromZod as Record<string, unknown>;
    expect(rest).toEqual(configJsonSchema);
  });

  it('checks server= and passes every other key on as given', async () => {
    const module = { configSchema, configJsonSchema };
    expect(await validateConfig(module, { server: 'mlflow', workers: '2' }, 'http')).toEqual({
      server: 'mlflow',
      workers: '2',
    });
    await expect(validateConfig(module, { server: 'gateway' }, 'http')).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
    });
  });

  it('splits server= off the config that goes to the served target', () => {
    expect(splitConfig({ server: 'berth', port: 8080 })).toEqual({ serverKind: 'berth', forwarded: { port: 8080 } });
    expect(splitConfig(undefined)).toEqual({ forwarded: {} });
    expect(() => splitConfig({ server: 'nope' })).toThrow(/Invalid config key server="nope"/);
  });
});
