import { BerthError } from '@berth/core';
import { closestMatch } from '@berth/core/internal';
import type { z } from 'zod';
import { lazyObjectSchema, loadZod } from './lazy-config-schema.js';

/**
 * Config of the SageMaker target: MLflow's keys with MLflow's defaults (reference §3.2), plus
 * Berth's rollout, explainer, endpoint and run-local keys. One strict zod schema is the source of
 * the CLI's coercion, the "did you mean" errors, `berth help -t sagemaker` and the parsing here.
 *
 * The nested JSON values use SageMaker's own field names (PascalCase), as MLflow passes them to
 * boto3 unchanged, so a config that worked with MLflow works here; their shape is checked too.
 */

export const DEFAULT_INSTANCE_TYPE = 'ml.m4.xlarge';
export const DEFAULT_TIMEOUT_SECONDS = { deploy: 1200, delete: 300, endpoint: 1200 } as const;
export const DEFAULT_RUN_LOCAL_PORT = 8080;
export const DEPLOYMENT_MODES = ['create', 'add', 'replace'] as const;
export type DeploymentMode = (typeof DEPLOYMENT_MODES)[number];

/** SageMaker reserves this tag for the endpoint config; MLflow refuses a user tag with the name. */
export const APP_NAME_TAG = 'app_name';

function buildSchema() {
  const { z } = loadZod();

  const scalar = z.union([z.string(), z.number(), z.boolean()]);
  const strings = (min: number, max: number) => z.array(z.string().min(1)).min(min).max(max);
  const capacitySize = z.strictObject({
    Type: z.enum(['INSTANCE_COUNT', 'CAPACITY_PERCENT']),
    Value: z.int().min(1),
  });

  const vpcConfig = z.strictObject({ SecurityGroupIds: strings(1, 5), Subnets: strings(1, 16) });

  const dataCaptureConfig = z.strictObject({
    EnableCapture: z.boolean().optional(),
    InitialSamplingPercentage: z.int().min(0).max(100),
    DestinationS3Uri: z.string().regex(/^(https|s3):\/\//, 'must be an s3:// URI'),
    KmsKeyId: z.string().optional(),
    CaptureOptions: z
      .array(z.strictObject({ CaptureMode: z.enum(['Input', 'Output', 'InputAndOutput']) }))
      .min(1)
      .max(32),
    CaptureContentTypeHeader: z
      .strictObject({ CsvContentTypes: strings(1, 10).optional(), JsonContentTypes: strings(1, 10).optional() })
      .optional(),
  });

  const asyncInferenceConfig = z.strictObject({
    ClientConfig: z
      .strictObject({ MaxConcurrentInvocationsPerInstance: z.int().min(1).max(1000).optional() })
      .optional(),
    OutputConfig: z.strictObject({
      KmsKeyId: z.string().optional(),
      S3OutputPath: z
        .string()
        .regex(/^(https|s3):\/\//, 'must be an s3:// URI')
        .optional(),
      S3FailurePath: z
        .string()
        .regex(/^(https|s3):\/\//, 'must be an s3:// URI')
        .optional(),
      NotificationConfig: z
        .strictObject({
          SuccessTopic: z.string().optional(),
          ErrorTopic: z.string().optional(),
          IncludeInferenceResponseIn: z
            .array(z.enum(['SUCCESS_NOTIFICATION_TOPIC', 'ERROR_NOTIFICATION_TOPIC']))
            .optional(),
        })
        .optional(),
    }),
  });

  const serverlessConfig = z.strictObject({
    MemorySizeInMB: z.int().min(1024).max(6144),
    MaxConcurrency: z.int().min(1).max(200),
    ProvisionedConcurrency: z.int().min(1).max(200).optional(),
  });

  const trafficRouting = z
    .strictObject({
      Type: z.enum(['ALL_AT_ONCE', 'CANARY', 'LINEAR']),
      WaitIntervalInSeconds: z.int().min(0).max(3600),
      CanarySize: capacitySize.optional(),
      LinearStepSize: capacitySize.optional(),
    })
    .refine((routing) => routing.Type !== 'CANARY' || routing.CanarySize !== undefined, {
      message: 'a CANARY TrafficRoutingConfiguration needs CanarySize',
    })
    .refine((routing) => routing.Type !== 'LINEAR' || routing.LinearStepSize !== undefined, {
      message: 'a LINEAR TrafficRoutingConfiguration needs LinearStepSize',
    });

  const deploymentConfig = z.strictObject({
    BlueGreenUpdatePolicy: z
      .strictObject({
        TrafficRoutingConfiguration: trafficRouting,
        TerminationWaitInSeconds: z.int().min(0).max(3600).optional(),
        MaximumExecutionTimeoutInSeconds: z.int().min(600).max(28800).optional(),
      })
      .optional(),
    RollingUpdatePolicy: z
      .strictObject({
        MaximumBatchSize: capacitySize,
        WaitIntervalInSeconds: z.int().min(0).max(3600),
        MaximumExecutionTimeoutInSeconds: z.int().min(600).max(28800).optional(),
        RollbackMaximumBatchSize: capacitySize.optional(),
      })
      .optional(),
    AutoRollbackConfiguration: z
      .strictObject({
        Alarms: z
          .array(z.strictObject({ AlarmName: z.string().min(1) }))
          .min(1)
          .max(10)
          .optional(),
      })
      .optional(),
  });

  const explainerConfig = z.strictObject({
    ClarifyExplainerConfig: z.looseObject({
      EnableExplanations: z.string().optional(),
      InferenceConfig: z.looseObject({}).optional(),
      ShapConfig: z.looseObject({ ShapBaselineConfig: z.looseObject({}) }),
    }),
  });

  /** `{}` turns a setting off: MLflow's default for the async and serverless keys, and the way to drop one on update. */
  const orOff = <T extends z.ZodType>(schema: T) => z.union([z.strictObject({}), schema]);

  const envVariables = z.record(
    z
      .string()
      .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'environment variable names are letters, digits and _')
      .max(1024),
    scalar,
  );

  const tags = z
    .record(z.string().min(1).max(128), z.union([scalar, z.null()]))
    .refine((value) => !Object.hasOwn(value, APP_NAME_TAG), { message: `Duplicate tag provided for '${APP_NAME_TAG}'` })
    .refine((value) => !Object.keys(value).some((key) => key.toLowerCase().startsWith('aws:')), {
      message: "tag keys starting with 'aws:' are reserved by AWS",
    });

  const weights = z
    .record(z.string().min(1), z.number().min(0))
    .refine((value) => Object.keys(value).length > 0, 'name at least one variant or deployment')
    .refine((value) => Object.values(value).some((weight) => weight > 0), 'at least one weight must be above 0');

  const role = z
    .string()
    .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, 'must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)');

  return z.strictObject({
    assume_role_arn: role
      .optional()
      .meta({ defaultDescription: 'the role in the target URI' })
      .describe('Role to assume (STS AssumeRole) for every AWS call: deploy into another account'),
    execution_role_arn: role
      .optional()
      .meta({ defaultDescription: "the caller's role" })
      .describe('Role SageMaker runs the model with (CreateModel ExecutionRoleArn)'),
    bucket: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name')
      .optional()
      .meta({ defaultDescription: 'mlflow-sagemaker-<region>-<account>' })
      .describe('S3 bucket for model.tar.gz (the default one is created if missing)'),
    image_url: z
      .string()
      .min(1)
      .optional()
      .meta({ defaultDescription: 'by flavor (see Images)' })
      .describe('Serving container image'),
    region_name: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS region such as us-east-1')
      .optional()
      .meta({ defaultDescription: "the URI's, else the SDK's, else us-west-2" })
      .describe('AWS region'),
    archive: z
      .boolean()
      .default(false)
      .describe('Keep replaced or deleted models, endpoint configs and S3 objects instead of deleting them'),
    instance_type: z
      .string()
      .regex(/^ml\.[a-z0-9]+\.[a-z0-9]+$/, 'must be a SageMaker instance type such as ml.m5.large')
      .default(DEFAULT_INSTANCE_TYPE)
      .describe('Instance type of the production variant (ignored with serverless_config)'),
    instance_count: z.int().min(1).default(1).describe('Instances of the production variant'),
    vpc_config: vpcConfig.optional().describe('VpcConfig of the model: {"SecurityGroupIds":[…],"Subnets":[…]}'),
    data_capture_config: orOff(dataCaptureConfig)
      .optional()
      .meta({ defaultDescription: 'none (update: kept)' })
      .describe('DataCaptureConfig of the endpoint config'),
    synchronous: z.boolean().default(true).describe('Wait until the operation completes (false requires archive=true)'),
    timeout_seconds: z
      .int()
      .min(1)
      .optional()
      .meta({ defaultDescription: '1200 (delete: 300)' })
      .describe('How long a synchronous operation waits'),
    variant_name: z
      .string()
      .regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/, 'must be 1-63 letters, digits and hyphens')
      .optional()
      .meta({ defaultDescription: 'the generated model name' })
      .describe('Production variant name'),
    env: envVariables.optional().describe('Extra container environment ({"NAME":"value"}); overrides the defaults'),
    tags: tags
      .optional()
      .describe(`Tags for the model and the endpoint ({"key":"value"}); '${APP_NAME_TAG}' is reserved`),
    async_inference_config: orOff(asyncInferenceConfig)
      .optional()
      .meta({ defaultDescription: 'none (update: kept)' })
      .describe('AsyncInferenceConfig of the endpoint config: an asynchronous-inference endpoint'),
    serverless_config: orOff(serverlessConfig)
      .optional()
      .meta({ defaultDescription: 'none (update: kept)' })
      .describe('ServerlessConfig of the production variant: {"MemorySizeInMB":2048,"MaxConcurrency":5}'),
    mode: z
      .enum(DEPLOYMENT_MODES)
      .optional()
      .meta({ defaultDescription: 'create (create), replace (update)' })
      .describe('update: replace the variants, or add one with weight 0'),
    deployment_config: deploymentConfig
      .optional()
      .describe('update only: SageMaker DeploymentConfig (blue/green traffic shifting, auto-rollback alarms)'),
    traffic_routing: z
      .enum(['ALL_AT_ONCE', 'CANARY', 'LINEAR', 'all_at_once', 'canary', 'linear'])
      .optional()
      .describe('update only: blue/green traffic shifting (the short form of deployment_config)'),
    traffic_step: z
      .union([z.int().min(1), z.string().regex(/^\d+%?$/, "an instance count such as 2 or a percentage such as '10%'")])
      .optional()
      .meta({ defaultDescription: "'10%'" })
      .describe('update only: canary size or linear step, instances (2) or a percentage (10%)'),
    wait_interval_seconds: z
      .int()
      .min(0)
      .max(3600)
      .optional()
      .meta({ defaultDescription: '300' })
      .describe('update only: seconds between traffic shifting steps'),
    termination_wait_seconds: z
      .int()
      .min(0)
      .max(3600)
      .optional()
      .meta({ defaultDescription: "SageMaker's (0)" })
      .describe('update only: seconds the old fleet is kept after the shift, for a fast rollback'),
    rollback_alarms: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1).max(10)])
      .optional()
      .describe('update only: CloudWatch alarm names (a,b or a JSON list) that roll the update back'),
    explainer_config: orOff(explainerConfig)
      .optional()
      .describe('ExplainerConfig (SageMaker Clarify) of the endpoint config; enables berth explain'),
    traffic: weights
      .optional()
      .describe('create-endpoint/update-endpoint: variant or deployment -> weight, {"a":90,"b":10}'),
    capacity: z
      .record(z.string().min(1), z.int().min(1))
      .optional()
      .describe('update-endpoint: variant -> instance count, {"a":2}'),
    port: z.int().min(0).max(65535).default(DEFAULT_RUN_LOCAL_PORT).describe('run-local only: the port to serve on'),
  });
}

export type SageMakerConfigSchema = ReturnType<typeof buildSchema>;
let built: SageMakerConfigSchema | undefined;

function sageMakerConfigSchema(): SageMakerConfigSchema {
  built ??= buildSchema();
  return built;
}

/** The SageMaker target's config schema (a zod object, built on first use so listing never loads zod). */
export const configSchema: SageMakerConfigSchema = lazyObjectSchema(sageMakerConfigSchema);

/** Every key after parsing, defaults filled in. */
export type SageMakerConfig = z.output<SageMakerConfigSchema>;
type Configured<T> = Exclude<NonNullable<T>, Record<string, never>>;
export type DataCaptureConfig = Configured<SageMakerConfig['data_capture_config']>;
export type AsyncInferenceConfig = Configured<SageMakerConfig['async_inference_config']>;
export type ServerlessConfig = Configured<SageMakerConfig['serverless_config']>;
export type DeploymentConfig = NonNullable<SageMakerConfig['deployment_config']>;
export type ExplainerConfig = Configured<SageMakerConfig['explainer_config']>;

/**
 * A key's setting on update: `keep` when the key was not given (the endpoint's current setting
 * survives, unlike MLflow, #7255), `off` for `{}`, else the new value.
 */
export type Setting<T> = { kind: 'keep' } | { kind: 'off' } | { kind: 'set'; value: T };

export function settingOf<T extends object>(value: T | Record<string, never> | undefined): Setting<T> {
  if (value === undefined) return { kind: 'keep' };
  if (Object.keys(value).length === 0) return { kind: 'off' };
  return { kind: 'set', value: value as T };
}
export type VpcConfig = NonNullable<SageMakerConfig['vpc_config']>;

export type SageMakerConfigKey = keyof SageMakerConfig;
export type ConfigOperation = 'create' | 'update' | 'delete' | 'endpoint' | 'run-local';

const ROLLOUT_KEYS = [
  'deployment_config',
  'traffic_routing',
  'traffic_step',
  'wait_interval_seconds',
  'termination_wait_seconds',
  'rollback_alarms',
] as const;
const ACCESS_KEYS = ['region_name', 'assume_role_arn'] as const;
const DEPLOY_KEYS = [
  ...ACCESS_KEYS,
  'execution_role_arn',
  'bucket',
  'image_url',
  'archive',
  'instance_type',
  'instance_count',
  'vpc_config',
  'data_capture_config',
  'synchronous',
  'timeout_seconds',
  'variant_name',
  'env',
  'tags',
  'async_inference_config',
  'serverless_config',
  'mode',
  'explainer_config',
] as const;

/** Which keys each operation reads; any other key given to it is an error, not silently ignored as in MLflow. */
const KEYS_BY_OPERATION: Record<ConfigOperation, readonly SageMakerConfigKey[]> = {
  create: DEPLOY_KEYS,
  update: [...DEPLOY_KEYS, ...ROLLOUT_KEYS],
  delete: [...ACCESS_KEYS, 'archive', 'synchronous', 'timeout_seconds'],
  endpoint: [...ACCESS_KEYS, 'traffic', 'capacity', 'synchronous', 'timeout_seconds', 'tags'],
  'run-local': ['port', 'env'],
};

export interface ParsedConfig {
  values: SageMakerConfig;
  /** The keys the caller gave (the rest are defaults): an update keeps what was not given. */
  given: ReadonlySet<string>;
}

/**
 * Parses outside config for one operation: strings are read as the key's type wants (booleans in
 * any case, so MLflow's "True" works; integers; JSON objects), defaults are filled in, keys the
 * operation does not read and unknown keys (with a "did you mean") are INVALID_PARAMETER_VALUE.
 */
export function parseSageMakerConfig(
  config: Record<string, unknown> | undefined,
  operation: ConfigOperation,
): ParsedConfig {
  const schema = sageMakerConfigSchema();
  const shape = schema.shape as Record<string, z.ZodType>;
  const given = Object.entries(config ?? {}).filter(([, value]) => value !== undefined);
  const unknown = given.map(([key]) => key).filter((key) => !Object.hasOwn(shape, key));
  if (unknown.length > 0) {
    const parts = unknown.map((key) => {
      const suggestion = closestMatch(key, Object.keys(shape));
      return suggestion ? `'${key}' (did you mean '${suggestion}'?)` : `'${key}'`;
    });
    throw BerthError.invalidParameterValue(`Unknown config key(s) for target 'sagemaker': ${parts.join(', ')}`, {
      suggestions: [`Valid keys: ${Object.keys(shape).join(', ')}.`, HELP_HINT],
    });
  }
  const allowed = KEYS_BY_OPERATION[operation];
  const misplaced = given.map(([key]) => key).filter((key) => !allowed.includes(key as SageMakerConfigKey));
  if (misplaced.length > 0) {
    throw BerthError.invalidParameterValue(
      `Config key(s) ${misplaced.map((key) => `'${key}'`).join(', ')} do not apply to ${describeOperation(operation)}.`,
      { suggestions: [`${describeOperation(operation)} reads: ${allowed.join(', ')}.`, HELP_HINT] },
    );
  }
  const coerced = Object.fromEntries(
    given.map(([key, value]) => [key, coerceValue(shape[key] as z.ZodType, value)] as const),
  );
  const result = schema.safeParse(coerced);
  if (result.success) return { values: result.data, given: new Set(given.map(([key]) => key)) };
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  throw BerthError.invalidParameterValue(`Invalid config for target 'sagemaker': ${problems.join('; ')}`, {
    suggestions: [HELP_HINT],
  });
}

const HELP_HINT = 'Run `berth help -t sagemaker` for every config key with its type and default.';

function describeOperation(operation: ConfigOperation): string {
  switch (operation) {
    case 'create':
      return 'create';
    case 'update':
      return 'update';
    case 'delete':
      return 'delete';
    case 'endpoint':
      return 'the endpoint commands';
    case 'run-local':
      return 'run-local';
  }
}

/**
 * A value as given, else the first reading of a string that the key's schema accepts: MLflow's
 * configs are all strings (`"True"`, `"5"`, JSON), whether they come from the CLI or from code.
 */
function coerceValue(schema: z.ZodType, value: unknown): unknown {
  if (typeof value !== 'string' || schema.safeParse(value).success) return value;
  const text = value.trim();
  const readings: unknown[] = [];
  if (/^(true|false)$/i.test(text)) readings.push(text.toLowerCase() === 'true');
  if (text !== '' && Number.isFinite(Number(text))) readings.push(Number(text));
  if (/^[[{]/.test(text)) {
    try {
      readings.push(JSON.parse(text));
    } catch {
      // Not JSON: the schema's message about the string says what is wrong.
    }
  }
  return readings.find((reading) => schema.safeParse(reading).success) ?? readings.at(-1) ?? value;
}

/** Tag or environment values, stringified as MLflow does (`str(value)`; booleans as Python prints them). */
export function stringifyValues(values: Record<string, string | number | boolean | null>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).map(([key, value]) => {
      if (typeof value === 'boolean') return [key, value ? 'True' : 'False'];
      return [key, value === null ? 'None' : String(value)];
    }),
  );
}
