import type { ProductionVariant } from '@aws-sdk/client-sagemaker';
import { BerthError, type OperationOptions } from '@berth/core';
import type { AwsClients } from './aws-clients.js';
import { awsError } from './aws-errors.js';
import type { DefaultResources } from './default-resources.js';
import { type ModelPackage, prepareModel } from './model-package.js';
import { type UploadedModel, uploadModelArchive } from './model-upload.js';
import { awaitCompletion, type OperationStatus, operationError } from './operation-waiter.js';
import { checkEndpointName, endpointConfigName, modelName as uniqueModelName } from './resource-names.js';
import { FLAVOR_TAG, MODEL_URI_TAG, stringifyTags, tagValue } from './resource-tags.js';
import { explainRollback, type RolloutReport, rolloutDeploymentConfig, rolloutStrategy } from './rollout.js';
import {
  APP_NAME_TAG,
  type AsyncInferenceConfig,
  type DataCaptureConfig,
  DEFAULT_TIMEOUT_SECONDS,
  type DeploymentConfig,
  type DeploymentMode,
  type ExplainerConfig,
  type ParsedConfig,
  type SageMakerConfig,
  type ServerlessConfig,
  type Setting,
  settingOf,
} from './sagemaker-config.js';
import {
  deleteEndpointConfig,
  deleteModelAndArtifact,
  describeEndpoint,
  describeEndpointConfig,
  type EndpointConfigDescription,
  type EndpointDescription,
  invokeUrl,
  tagList,
} from './sagemaker-resources.js';
import { containerEnvironment, resolveImageUrl } from './serving-image.js';
import { type MadeResources, undoFailed } from './undo-on-failure.js';

/**
 * Create and update (MLflow's `_deploy`, reference §3.3): validate everything that can be checked
 * locally, download the model, then in order the image, the execution role, the bucket, the
 * streamed upload, CreateModel, and either CreateEndpointConfig + CreateEndpoint or
 * CreateEndpointConfig + UpdateEndpoint; wait; clean up what the update replaced.
 */

export interface FlowContext {
  clients: AwsClients;
  defaults: DefaultResources;
}

export interface DeployRequest {
  name: string;
  modelUri: string;
  flavor?: string | undefined;
  config: ParsedConfig;
  /** create: from createDeployment; add/replace: from updateDeployment. */
  mode: DeploymentMode;
  options: OperationOptions;
}

/** What create and update return: a Deployment plus what SageMaker now runs. */
export interface DeployResult extends DeployBase {
  [key: string]: unknown;
  /** SageMaker's EndpointStatus at return: InService when synchronous, else Creating or Updating. */
  state: string;
  endpointConfigName: string;
  variantName: string;
  /** A guarded update's outcome (completed; rolled back is an error). */
  rollout?: RolloutReport;
  /** What the cleanup removed (replaced models, configs, S3 objects). */
  removed?: string[];
}

/** MLflow's 20 s: SageMaker may still answer with the old config just after UpdateEndpoint. */
/** What is known once the model is created, before the endpoint flows. */
interface DeployBase {
  name: string;
  flavor: string;
  modelUri: string;
  url: string;
  region: string;
  mode: DeploymentMode;
  modelName: string;
  image: string;
  modelDataUrl: string;
  modelArchiveBytes: number;
}

const UPDATE_GRACE_MS = 20_000;
const UPLOAD_REPORT_MS = 2000;

export async function deploy(context: FlowContext, request: DeployRequest): Promise<DeployResult> {
  const { values: config } = request.config;
  checkRequest(request, config);
  const rolloutConfig = request.mode === 'create' ? undefined : rolloutDeploymentConfig(config);
  const progress = request.options.onProgress;
  const { clients } = context;
  const name = request.name;

  const model = await prepareModel(request.modelUri, request.flavor, progress);
  const existing = await describeEndpoint(clients, name);
  if (existing !== undefined && request.mode === 'create') {
    throw new BerthError(
      `You are attempting to deploy an application with name: ${name} in 'create' mode. However, an application with the same name already exists. If you want to update this application, deploy in 'add' or 'replace' mode.`,
      {
        code: 'RESOURCE_ALREADY_EXISTS',
        suggestions: [
          `Update it: berth update -t sagemaker --name ${name} -m <model> (-C mode=add keeps the current variants).`,
        ],
      },
    );
  }
  if (existing === undefined && request.mode !== 'create') {
    // Berth's contract, not MLflow's: MLflow's update of a missing name takes the create branch.
    throw new BerthError(
      `There is no SageMaker endpoint named '${name}' in ${clients.region} to update; nothing was created.`,
      {
        code: 'RESOURCE_DOES_NOT_EXIST',
        suggestions: [
          `Create it: berth create -t sagemaker --name ${name} -m ${request.modelUri}`,
          '`berth list -t sagemaker` shows the deployments in this region.',
        ],
      },
    );
  }
  let current: EndpointConfigDescription | undefined;
  if (existing !== undefined) {
    checkUpdatable(name, existing);
    current = existing.EndpointConfigName
      ? await describeEndpointConfig(clients, existing.EndpointConfigName)
      : undefined;
    if (request.mode === 'add') checkNewVariantName(name, current, config.variant_name);
  }

  const newModelName = uniqueModelName(name);
  const image = config.image_url ?? (await resolveImageUrl(clients, model.flavor, model.mlflowVersion));
  const executionRoleArn = config.execution_role_arn ?? (await context.defaults.executionRoleArn());
  const bucket = config.bucket ?? (await context.defaults.bucket(clients.region));
  const uploaded = await upload(context, model, bucket, `${newModelName}/model.tar.gz`, request.options);

  const userTags = config.tags === undefined ? {} : stringifyTags(config.tags);
  const made: MadeResources = { artifact: uploaded.url };
  try {
    await createModel(clients, {
      name: newModelName,
      image,
      modelDataUrl: uploaded.url,
      environment: containerEnvironment(model.flavor, config.env),
      executionRoleArn,
      tags: { [MODEL_URI_TAG]: tagValue(request.modelUri), ...userTags },
      vpcConfig: config.vpc_config,
    });
  } catch (error) {
    throw await undoFailed(clients, error, made, config.archive, request.options);
  }
  made.model = newModelName;
  progress?.({ message: `Created SageMaker model ${newModelName} (image ${image})` });

  const base: DeployBase = {
    name,
    flavor: model.flavor,
    modelUri: request.modelUri,
    url: invokeUrl(clients.region, name),
    region: clients.region,
    mode: request.mode,
    modelName: newModelName,
    image,
    modelDataUrl: uploaded.url,
    modelArchiveBytes: uploaded.bytes,
  };
  const endpointTags = {
    [MODEL_URI_TAG]: tagValue(request.modelUri),
    [FLAVOR_TAG]: model.flavor,
    ...userTags,
  };
  if (existing === undefined) {
    return createEndpoint(context, request, config, made, endpointTags, base);
  }
  if (current === undefined) {
    throw new BerthError(`The endpoint '${name}' has no readable endpoint config; it cannot be updated.`, {
      code: 'INVALID_STATE',
      suggestions: [`Delete it (berth delete -t sagemaker --name ${name}) and create it again.`],
    });
  }
  return updateEndpoint(
    context,
    request,
    config,
    { existing, current, newModelName, rolloutConfig, endpointTags, made },
    base,
  );
}

function checkRequest(request: DeployRequest, config: SageMakerConfig): void {
  checkEndpointName(request.name);
  if (!config.archive && !config.synchronous) {
    throw BerthError.invalidParameterValue(
      'Resources must be archived when `deploy()` is executed in non-synchronous mode. Either set `synchronous=True` or `archive=True`.',
    );
  }
  if (request.mode !== 'create' && config.mode === 'create') {
    throw BerthError.invalidParameterValue(
      `Invalid mode \`${config.mode}\` for deployment to a pre-existing application`,
      { suggestions: ['Use -C mode=replace (the default) or -C mode=add.'] },
    );
  }
  if (request.mode === 'create' && config.mode !== undefined && config.mode !== 'create') {
    throw BerthError.invalidParameterValue(
      `-C mode=${config.mode} applies to update; create always creates a new endpoint.`,
      { suggestions: [`Run berth update -t sagemaker --name ${request.name} -m <model> -C mode=${config.mode}.`] },
    );
  }
}

/** SageMaker refuses UpdateEndpoint while the endpoint is busy; say so before creating anything. */
function checkUpdatable(name: string, endpoint: EndpointDescription): void {
  const status = endpoint.EndpointStatus ?? 'unknown';
  if (status === 'InService' || status === 'Failed') return;
  throw new BerthError(
    `The endpoint '${name}' is ${status}; SageMaker accepts an update only when it is InService (or Failed).`,
    {
      code: 'RESOURCE_CONFLICT',
      suggestions: [`Wait until \`berth get -t sagemaker --name ${name}\` shows InService, then update again.`],
    },
  );
}

function checkNewVariantName(
  name: string,
  current: EndpointConfigDescription | undefined,
  variant: string | undefined,
) {
  if (variant === undefined) return;
  if ((current?.ProductionVariants ?? []).some((existing) => existing.VariantName === variant)) {
    throw BerthError.invalidParameterValue(
      `The endpoint '${name}' already has a variant named '${variant}'; add mode needs a new variant name.`,
      { suggestions: ['Pass another -C variant_name=, or leave it out to use the generated model name.'] },
    );
  }
}

async function upload(
  context: FlowContext,
  model: ModelPackage,
  bucket: string,
  key: string,
  options: OperationOptions,
): Promise<UploadedModel> {
  const started = Date.now();
  const hint = 'Nothing has been created in SageMaker yet; the partial upload is removed.';
  options.onProgress?.({ message: `Uploading model.tar.gz to s3://${bucket}/${key}`, interruptHint: hint });
  let reported = 0;
  return uploadModelArchive(context.clients, model.directory, bucket, key, {
    ...(options.signal ? { signal: options.signal } : {}),
    onProgress: (bytes) => {
      // One message per few seconds: a pipe gets a line per new message.
      if (Date.now() - reported < UPLOAD_REPORT_MS) return;
      reported = Date.now();
      options.onProgress?.({
        message: `Uploading model.tar.gz to s3://${bucket}/${key}: ${formatBytes(bytes)} sent`,
        elapsedMs: Date.now() - started,
        interruptHint: hint,
      });
    },
  });
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

interface ModelSpec {
  name: string;
  image: string;
  modelDataUrl: string;
  environment: Record<string, string>;
  executionRoleArn: string;
  tags: Record<string, string>;
  vpcConfig: SageMakerConfig['vpc_config'];
}

async function createModel(clients: AwsClients, spec: ModelSpec): Promise<void> {
  const { client, sdk } = await clients.sagemaker();
  try {
    await client.send(
      new sdk.CreateModelCommand({
        ModelName: spec.name,
        PrimaryContainer: { Image: spec.image, ModelDataUrl: spec.modelDataUrl, Environment: spec.environment },
        ExecutionRoleArn: spec.executionRoleArn,
        Tags: tagList(spec.tags),
        ...(spec.vpcConfig ? { VpcConfig: spec.vpcConfig } : {}),
      }),
    );
  } catch (error) {
    throw awsError(error, `Could not create the SageMaker model '${spec.name}'`);
  }
}

interface EndpointSettings {
  asyncInference: AsyncInferenceConfig | undefined;
  dataCapture: DataCaptureConfig | undefined;
  explainer: ExplainerConfig | undefined;
  serverless: ServerlessConfig | undefined;
}

function resolveSetting<T>(setting: Setting<T>, current: T | undefined): T | undefined {
  if (setting.kind === 'keep') return current;
  return setting.kind === 'off' ? undefined : setting.value;
}

function newVariant(
  modelName: string,
  config: SageMakerConfig,
  serverless: ServerlessConfig | undefined,
  weight: number,
): ProductionVariant {
  return {
    VariantName: config.variant_name ?? modelName,
    ModelName: modelName,
    InitialVariantWeight: weight,
    ...(serverless
      ? { ServerlessConfig: serverless }
      : { InstanceType: config.instance_type as never, InitialInstanceCount: config.instance_count }),
  };
}

async function createEndpointConfig(
  clients: AwsClients,
  app: string,
  variants: ProductionVariant[],
  settings: EndpointSettings,
): Promise<string> {
  const configName = endpointConfigName(app);
  const { client, sdk } = await clients.sagemaker();
  try {
    await client.send(
      new sdk.CreateEndpointConfigCommand({
        EndpointConfigName: configName,
        ProductionVariants: variants,
        Tags: [{ Key: APP_NAME_TAG, Value: app }],
        ...(settings.asyncInference ? { AsyncInferenceConfig: settings.asyncInference as never } : {}),
        ...(settings.dataCapture ? { DataCaptureConfig: settings.dataCapture as never } : {}),
        ...(settings.explainer ? { ExplainerConfig: settings.explainer as never } : {}),
      }),
    );
  } catch (error) {
    throw awsError(error, `Could not create the SageMaker endpoint config '${configName}'`);
  }
  return configName;
}

async function createEndpoint(
  context: FlowContext,
  request: DeployRequest,
  config: SageMakerConfig,
  made: MadeResources,
  endpointTags: Record<string, string>,
  base: DeployBase,
): Promise<DeployResult> {
  const { clients } = context;
  const name = request.name;
  const newModelName = base.modelName;
  const settings: EndpointSettings = {
    asyncInference: resolveSetting(settingOf(config.async_inference_config), undefined),
    dataCapture: resolveSetting(settingOf(config.data_capture_config), undefined),
    explainer: resolveSetting(settingOf(config.explainer_config), undefined),
    serverless: resolveSetting(settingOf(config.serverless_config), undefined),
  };
  const variant = newVariant(newModelName, config, settings.serverless, 1);
  const undo = async (error: unknown) => undoFailed(clients, error, made, config.archive, request.options);
  let configName: string;
  try {
    configName = await createEndpointConfig(clients, name, [variant], settings);
  } catch (error) {
    throw await undo(error);
  }
  made.config = configName;
  const { client, sdk } = await clients.sagemaker();
  try {
    await client.send(
      new sdk.CreateEndpointCommand({
        EndpointName: name,
        EndpointConfigName: configName,
        Tags: [{ Key: APP_NAME_TAG, Value: name }, ...tagList(endpointTags)],
      }),
    );
  } catch (error) {
    // Not made here (e.g. created meanwhile by someone else): never removed by the undo.
    throw await undo(awsError(error, `Could not create the SageMaker endpoint '${name}'`));
  }
  made.endpoint = name;
  const result = { ...base, endpointConfigName: configName, variantName: variant.VariantName as string };
  if (!config.synchronous) return { ...result, state: 'Creating' };

  const status = await awaitCompletion(() => createStatus(clients, name), {
    timeoutSeconds: config.timeout_seconds ?? DEFAULT_TIMEOUT_SECONDS.deploy,
    label: `Creating endpoint '${name}'`,
    interruptHint: `SageMaker goes on creating '${name}'; check it with \`berth get -t sagemaker --name ${name}\`.`,
    ...request.options,
  });
  if (status.state === 'failed' && status.backendState === 'Failed') {
    // Berth's contract: a create that failed keeps nothing (unless archive=true).
    throw await undo(
      operationError('deployment', status, [
        `See why in CloudWatch Logs (/aws/sagemaker/Endpoints/${name}); the log group stays.`,
      ]),
    );
  }
  if (status.state !== 'succeeded') {
    throw operationError('deployment', status, [
      `\`berth get -t sagemaker --name ${name}\` shows where it stands; \`berth delete -t sagemaker --name ${name}\` removes the endpoint, its config, model and model.tar.gz.`,
    ]);
  }
  return { ...result, state: 'InService' };
}

async function createStatus(clients: AwsClients, name: string): Promise<OperationStatus> {
  const endpoint = await describeEndpoint(clients, name);
  if (endpoint === undefined) return { state: 'in progress', message: 'waiting for the endpoint to appear' };
  const status = endpoint.EndpointStatus ?? 'unknown';
  if (status === 'Creating') return { state: 'in progress', message: status, backendState: status };
  if (status === 'InService') {
    return { state: 'succeeded', message: 'The SageMaker endpoint was created successfully.', backendState: status };
  }
  return {
    state: 'failed',
    message:
      endpoint.FailureReason ??
      'An unknown SageMaker failure occurred. Please see the SageMaker console logs for more information.',
    backendState: status,
  };
}

interface UpdatePlan {
  existing: EndpointDescription;
  current: EndpointConfigDescription;
  newModelName: string;
  rolloutConfig: DeploymentConfig | undefined;
  endpointTags: Record<string, string>;
  /** The new model and its upload (removed, unless archiving, when the update cannot start). */
  made: MadeResources;
}

async function updateEndpoint(
  context: FlowContext,
  request: DeployRequest,
  config: SageMakerConfig,
  plan: UpdatePlan,
  base: DeployBase,
): Promise<DeployResult> {
  const { clients } = context;
  const name = request.name;
  const { current, existing } = plan;
  const given = request.config.given;
  const previousVariants = current.ProductionVariants ?? [];
  // Serverless survives an update unless it is changed, or instances are asked for explicitly.
  const instancesAsked = given.has('instance_type') || given.has('instance_count');
  const currentServerless = instancesAsked ? undefined : previousVariants[0]?.ServerlessConfig;
  const settings: EndpointSettings = {
    asyncInference: resolveSetting(settingOf(config.async_inference_config), current.AsyncInferenceConfig as never),
    dataCapture: resolveSetting(settingOf(config.data_capture_config), current.DataCaptureConfig as never),
    explainer: resolveSetting(settingOf(config.explainer_config), current.ExplainerConfig as never),
    serverless: resolveSetting(settingOf(config.serverless_config), currentServerless as never),
  };
  const variant = newVariant(plan.newModelName, config, settings.serverless, request.mode === 'add' ? 0 : 1);
  const variants =
    request.mode === 'add' ? [...previousVariants.map((old) => keptVariant(old, existing)), variant] : [variant];
  const undo = async (error: unknown) => undoFailed(clients, error, plan.made, config.archive, request.options);
  let configName: string;
  try {
    configName = await createEndpointConfig(clients, name, variants, settings);
  } catch (error) {
    throw await undo(error);
  }
  plan.made.config = configName;
  const { client, sdk } = await clients.sagemaker();
  try {
    await client.send(
      new sdk.UpdateEndpointCommand({
        EndpointName: name,
        EndpointConfigName: configName,
        ...(plan.rolloutConfig ? { DeploymentConfig: plan.rolloutConfig as never } : {}),
      }),
    );
  } catch (error) {
    throw await undo(awsError(error, `Could not update the SageMaker endpoint '${name}'`));
  }
  const result = { ...base, endpointConfigName: configName, variantName: variant.VariantName as string };
  // The tags say what the endpoint serves: retag once the update took (or at once when not
  // waiting), so a refused or rolled-back update leaves them naming the model still served.
  if (!config.synchronous) {
    await retag(clients, existing.EndpointArn, plan.endpointTags, request.options);
    return { ...result, state: 'Updating' };
  }

  const strategy = plan.rolloutConfig ? ` (${rolloutStrategy(plan.rolloutConfig)} rollout)` : '';
  const status = await awaitCompletion(updateStatus(clients, name, configName), {
    timeoutSeconds: config.timeout_seconds ?? DEFAULT_TIMEOUT_SECONDS.deploy,
    label: `Updating endpoint '${name}'${strategy}`,
    interruptHint: `SageMaker goes on updating '${name}' (and rolls back by itself if the update fails); check it with \`berth get -t sagemaker --name ${name}\`.`,
    ...request.options,
  });
  if (status.state === 'succeeded') {
    await retag(clients, existing.EndpointArn, plan.endpointTags, request.options);
    const removed = config.archive
      ? []
      : await cleanUpReplaced(clients, request.mode, previousVariants, existing.EndpointConfigName);
    return {
      ...result,
      state: 'InService',
      ...(plan.rolloutConfig
        ? { rollout: { status: 'completed', strategy: rolloutStrategy(plan.rolloutConfig) } }
        : {}),
      ...(config.archive ? {} : { removed }),
    };
  }
  const rolledBack = status.backendState === 'InService';
  // The new model and config serve nothing after a rollback: remove them unless archiving.
  const removedNew = rolledBack && !config.archive ? await cleanUpUnused(clients, plan.newModelName, configName) : [];
  if (rolledBack && plan.rolloutConfig) {
    const endpoint = await describeEndpoint(clients, name);
    const rollout = await explainRollback(clients, plan.rolloutConfig, endpoint?.FailureReason);
    throw new BerthError(
      `The ${rollout.strategy} rollout of '${name}' was rolled back: ${rollout.reason}. '${name}' still serves its previous configuration ${existing.EndpointConfigName}.`,
      {
        code: 'ABORTED',
        details: { rollout, removed: removedNew },
        suggestions: [`\`berth get -t sagemaker --name ${name}\` shows what it serves now.`],
      },
    );
  }
  throw operationError('deployment', status, [
    `'${name}' still serves its previous configuration ${existing.EndpointConfigName}.`,
  ]);
}

/** An existing variant in add mode, with the weight it has now (weights set since survive). */
function keptVariant(old: ProductionVariant, endpoint: EndpointDescription): ProductionVariant {
  const live = endpoint.ProductionVariants?.find((variant) => variant.VariantName === old.VariantName);
  const weight = live?.CurrentWeight ?? old.InitialVariantWeight;
  const count = live?.CurrentInstanceCount ?? old.InitialInstanceCount;
  return {
    ...old,
    ...(weight === undefined ? {} : { InitialVariantWeight: weight }),
    ...(old.ServerlessConfig || count === undefined ? {} : { InitialInstanceCount: count }),
  };
}

/** The endpoint's tags say what it serves now (MLflow tags only at create, and only with user tags). */
async function retag(
  clients: AwsClients,
  arn: string | undefined,
  tags: Record<string, string>,
  options: OperationOptions,
): Promise<void> {
  if (!arn) return;
  const { client, sdk } = await clients.sagemaker();
  try {
    await client.send(new sdk.AddTagsCommand({ ResourceArn: arn, Tags: tagList(tags) }));
  } catch (error) {
    // The update is under way; stale tags only make `berth get` show the old model URI.
    options.onProgress?.({ message: `warning: could not update the endpoint's tags: ${(error as Error).message}` });
  }
}

/**
 * MLflow's update status (`_update_sagemaker_endpoint.status_check_fn`), without its blind 20 s:
 * an InService answer on the old config counts as a rollback only once SageMaker has shown the
 * update under way (or 20 s have passed), since it may still answer with the old state at first.
 */
function updateStatus(clients: AwsClients, name: string, newConfig: string): () => Promise<OperationStatus> {
  const started = Date.now();
  let sawUpdate = false;
  return async () => {
    const endpoint = await describeEndpoint(clients, name);
    if (endpoint === undefined) {
      return { state: 'failed', message: `The endpoint '${name}' was deleted during the update.` };
    }
    const status = endpoint.EndpointStatus ?? 'unknown';
    if (status !== 'InService') sawUpdate = true;
    const onNewConfig = endpoint.EndpointConfigName === newConfig;
    if (status === 'InService' && onNewConfig) {
      return { state: 'succeeded', message: 'The SageMaker endpoint was updated successfully.', backendState: status };
    }
    if (status === 'InService' && (sawUpdate || Date.now() - started >= UPDATE_GRACE_MS)) {
      return {
        state: 'failed',
        message: `SageMaker rolled the update back: the endpoint is InService on its previous config ${endpoint.EndpointConfigName}${
          endpoint.FailureReason ? ` (${endpoint.FailureReason})` : ''
        }.`,
        backendState: status,
      };
    }
    if (status === 'Failed') {
      return {
        state: 'failed',
        message: endpoint.FailureReason ?? 'The update failed; see the SageMaker console for more information.',
        backendState: status,
      };
    }
    return {
      state: 'in progress',
      message: status === 'InService' ? 'waiting for SageMaker to start the update' : describeUpdate(endpoint),
      backendState: status,
    };
  };
}

/** `Updating`, plus the traffic shift of a blue/green rollout when SageMaker reports it. */
function describeUpdate(endpoint: EndpointDescription): string {
  const status = endpoint.EndpointStatus ?? 'unknown';
  const pending = endpoint.PendingDeploymentSummary?.ProductionVariants ?? [];
  const shifted = pending
    .map((variant) =>
      variant.CurrentWeight === undefined ? undefined : `${variant.VariantName} ${variant.CurrentWeight}`,
    )
    .filter((entry): entry is string => entry !== undefined);
  return shifted.length > 0 ? `${status} (new fleet weights: ${shifted.join(', ')})` : status;
}

/** MLflow's update cleanup: replaced variants' models and S3 objects (replace mode), then the old config. */
async function cleanUpReplaced(
  clients: AwsClients,
  mode: DeploymentMode,
  previousVariants: ProductionVariant[],
  previousConfig: string | undefined,
): Promise<string[]> {
  const removed: string[] = [];
  if (mode === 'replace') {
    for (const variant of previousVariants) {
      if (variant.ModelName) removed.push(...(await deleteModelAndArtifact(clients, variant.ModelName)));
    }
  }
  if (previousConfig) removed.push(...(await deleteEndpointConfig(clients, previousConfig)));
  return removed;
}

async function cleanUpUnused(clients: AwsClients, modelName: string, configName: string): Promise<string[]> {
  try {
    return [
      ...(await deleteEndpointConfig(clients, configName)),
      ...(await deleteModelAndArtifact(clients, modelName)),
    ];
  } catch {
    // The rollback is what the user must hear about; leftovers can be removed by a later delete.
    return [];
  }
}
