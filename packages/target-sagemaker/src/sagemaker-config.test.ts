import { BerthError } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { configSchema, parseSageMakerConfig } from './sagemaker-config.js';

function errorOf(run: () => unknown): BerthError {
  try {
    run();
  } catch (error) {
    if (BerthError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a BerthError');
}

describe('parseSageMakerConfig', () => {
  it("fills MLflow's defaults", () => {
    const config = parseSageMakerConfig({}, 'create').values;
    expect(config).toMatchObject({
      archive: false,
      synchronous: true,
      instance_type: 'ml.m4.xlarge',
      instance_count: 1,
    });
    expect(config.timeout_seconds).toBeUndefined();
    expect(config.mode).toBeUndefined();
  });

  it('reads strings as MLflow _apply_custom_config does (test_apply_custom_config)', () => {
    const config = parseSageMakerConfig(
      {
        instance_count: '5',
        timeout_seconds: '5',
        synchronous: 'False',
        archive: 'True',
        vpc_config: '{"SecurityGroupIds": ["sg-1"], "Subnets": ["subnet-1"]}',
        env: '{"LOG_LEVEL": "debug", "N": 3}',
        tags: '{"team": "ml", "cost": 7}',
        instance_type: 'ml.m5.large',
      },
      'create',
    ).values;
    expect(config).toMatchObject({
      instance_count: 5,
      timeout_seconds: 5,
      synchronous: false,
      archive: true,
      vpc_config: { SecurityGroupIds: ['sg-1'], Subnets: ['subnet-1'] },
      env: { LOG_LEVEL: 'debug', N: 3 },
      tags: { team: 'ml', cost: 7 },
      instance_type: 'ml.m5.large',
    });
  });

  it('accepts booleans in any case (MLflow takes only "True")', () => {
    expect(parseSageMakerConfig({ archive: 'true', synchronous: 'FALSE' }, 'create').values).toMatchObject({
      archive: true,
      synchronous: false,
    });
  });

  it('refuses unknown keys with a did-you-mean (bucket_name from the MLflow docs)', () => {
    const error = errorOf(() => parseSageMakerConfig({ bucket_name: 'models' }, 'create'));
    expect(error.code).toBe('INVALID_PARAMETER_VALUE');
    expect(error.message).toContain("'bucket_name' (did you mean 'bucket'?)");
  });

  it('refuses keys the operation does not read', () => {
    const error = errorOf(() => parseSageMakerConfig({ instance_type: 'ml.m5.large' }, 'delete'));
    expect(error.message).toContain("'instance_type' do not apply to delete");
    expect(error.suggestions.join(' ')).toContain(
      'region_name, assume_role_arn, archive, synchronous, timeout_seconds',
    );
  });

  it("refuses a user tag named app_name with MLflow's message, at parse time", () => {
    const error = errorOf(() => parseSageMakerConfig({ tags: '{"app_name": "x"}' }, 'create'));
    expect(error.message).toContain("Duplicate tag provided for 'app_name'");
  });

  it('checks the shape of JSON values', () => {
    const error = errorOf(() =>
      parseSageMakerConfig({ vpc_config: '{"SecurityGroupIds": ["sg-1"], "Subnet": ["s"]}' }, 'create'),
    );
    expect(error.message).toMatch(/vpc_config/);
    const canary = errorOf(() =>
      parseSageMakerConfig(
        {
          deployment_config: JSON.stringify({
            BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'CANARY', WaitIntervalInSeconds: 60 } },
          }),
        },
        'update',
      ),
    );
    expect(canary.message).toContain('CANARY TrafficRoutingConfiguration needs CanarySize');
  });

  it('says what is wrong with a bad number', () => {
    const error = errorOf(() => parseSageMakerConfig({ instance_count: 'two' }, 'create'));
    expect(error.message).toContain('instance_count');
  });
});

describe('configSchema', () => {
  it('is a strict zod object whose JSON Schema carries types, defaults and descriptions', () => {
    const standard = (configSchema as unknown as { '~standard': { jsonSchema: { input(o: object): unknown } } })[
      '~standard'
    ];
    const json = standard.jsonSchema.input({ target: 'draft-2020-12' }) as {
      additionalProperties: boolean;
      properties: Record<string, { type?: string; default?: unknown; description?: string }>;
    };
    expect(json.additionalProperties).toBe(false);
    expect(json.properties.archive).toMatchObject({ type: 'boolean', default: false });
    expect(json.properties.instance_type).toMatchObject({ type: 'string', default: 'ml.m4.xlarge' });
    expect(json.properties.instance_count).toMatchObject({ type: 'integer', default: 1 });
    for (const [key, property] of Object.entries(json.properties)) {
      expect(property.description, key).toBeTruthy();
    }
  });

  it('answers the loader checks without building the schema', () => {
    expect(typeof configSchema.safeParse).toBe('function');
    expect(typeof configSchema.shape).toBe('object');
    expect(Object.keys(configSchema.shape)).toContain('bucket');
  });
});
