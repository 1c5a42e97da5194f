/**
 * SageMaker's control plane for models, endpoint configs and endpoints, as the real service
 * behaves where moto does not: endpoints go `Creating` → `InService` (or `Failed`) after a latency
 * and only once their containers answer `/ping`; `UpdateEndpoint` runs a blue/green deployment
 * (ALL_AT_ONCE, CANARY or LINEAR traffic shifting with wait intervals) and rolls back when a
 * CloudWatch alarm named in `AutoRollbackConfiguration` is in `ALARM` (read from moto);
 * duplicate names are refused; listings page for real. Answers use the real shapes and errors.
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import {
  AwsError,
  alreadyExists,
  arnOf,
  checkName,
  constraint,
  epochSeconds,
  notFound,
  validation,
} from './aws-errors.js';
import { type ContainerHost, ContainerStartError, type RunningContainer } from './container-host.js';
import { page, sortAndFilter } from './paging.js';

type Json = Record<string, unknown>;
type Tag = { Key: string; Value: string };

export interface ControlPlaneOptions {
  region: string;
  /** Creating → InService, before the containers start. */
  createLatencyMs: number;
  /** Provisioning the new fleet of an UpdateEndpoint, and applying new weights. */
  updateLatencyMs: number;
  /** Deleting → gone. */
  deleteLatencyMs: number;
  /** How long one second of WaitIntervalInSeconds / TerminationWaitInSeconds lasts here. */
  secondsMs: number;
  /** How often alarms are read from CloudWatch while a deployment bakes. */
  alarmPollMs: number;
  /** false: endpoints come up without containers (control-plane tests); invoking them is a ModelError. */
  runContainers: boolean;
  containers: ContainerHost;
  cloudWatch: (() => Promise<CloudWatchClient>) | undefined;
}

interface ModelRecord {
  name: string;
  arn: string;
  creationTime: Date;
  description: Json;
}

interface ConfigRecord {
  name: string;
  arn: string;
  creationTime: Date;
  description: Json;
  variants: Json[];
}

export interface VariantState {
  name: string;
  modelName: string;
  image: string | undefined;
  currentWeight: number;
  desiredWeight: number;
  currentInstanceCount: number | undefined;
  desiredInstanceCount: number | undefined;
  serverless: Json | undefined;
  container: RunningContainer | undefined;
  /** Why this variant has no container (runContainers false, or its image cannot run). */
  containerProblem: string | undefined;
  /** Requests routed here, for weighted round robin and for tests. */
  served: number;
}

export interface Fleet {
  configName: string;
  config: ConfigRecord;
  variants: VariantState[];
}

interface PendingDeployment {
  fleet: Fleet;
  /** Share of requests routed to the new fleet (0–1). */
  trafficShare: number;
  status: string;
  statusMessage: string;
  startTime: Date;
  served: number;
}

export interface EndpointRecord {
  name: string;
  arn: string;
  status: 'Creating' | 'InService' | 'Updating' | 'RollingBack' | 'Deleting' | 'Failed' | 'SystemUpdating';
  failureReason: string | undefined;
  creationTime: Date;
  lastModifiedTime: Date;
  /** The config named in DescribeEndpoint (the serving one, or the one being created). */
  configName: string;
  /** The fleet that serves traffic. */
  live: Fleet | undefined;
  pending: PendingDeployment | undefined;
  lastDeploymentConfig: Json | undefined;
  /** Bumped by delete: work scheduled for an older generation stops. */
  generation: number;
  served: number;
}

/** A failure the next matching operation suffers (tests inject them). */
interface InjectedFailure {
  operation: 'CreateEndpoint' | 'UpdateEndpoint';
  endpointName: string | undefined;
  reason: string;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class ControlPlane {
  readonly models = new Map<string, ModelRecord>();
  readonly configs = new Map<string, ConfigRecord>();
  readonly endpoints = new Map<string, EndpointRecord>();
  private readonly tags = new Map<string, Tag[]>();
  private readonly failures: InjectedFailure[] = [];
  private readonly background = new Set<Promise<unknown>>();
  private lastTime = 0;
  private closed = false;

  constructor(private readonly options: ControlPlaneOptions) {}

  /** The next CreateEndpoint/UpdateEndpoint (of that endpoint, or any) fails with this reason. */
  injectFailure(operation: InjectedFailure['operation'], reason: string, endpointName?: string): void {
    this.failures.push({ operation, reason, endpointName });
  }

  /** Strictly increasing timestamps, so listings sorted by creation time are deterministic. */
  private now(): Date {
    this.lastTime = Math.max(Date.now(), this.lastTime + 1);
    return new Date(this.lastTime);
  }

  private arn(kind: string, name: string): string {
    return arnOf(this.options.region, kind, name);
  }

  handle(operation: string, input: Json): Json | Promise<Json> {
    switch (operation) {
      case 'CreateModel':
        return this.createModel(input);
      case 'DescribeModel':
        return this.describeModel(input);
      case 'DeleteModel':
        return this.deleteModel(input);
      case 'ListModels':
        return this.listModels(input);
      case 'CreateEndpointConfig':
        return this.createEndpointConfig(input);
      case 'DescribeEndpointConfig':
        return this.describeEndpointConfig(input);
      case 'DeleteEndpointConfig':
        return this.deleteEndpointConfig(input);
      case 'ListEndpointConfigs':
        return this.listEndpointConfigs(input);
      case 'CreateEndpoint':
        return this.createEndpoint(input);
      case 'DescribeEndpoint':
        return this.describeEndpoint(input);
      case 'DeleteEndpoint':
        return this.deleteEndpoint(input);
      case 'ListEndpoints':
        return this.listEndpoints(input);
      case 'UpdateEndpoint':
        return this.updateEndpoint(input);
      case 'UpdateEndpointWeightsAndCapacities':
        return this.updateWeights(input);
      case 'AddTags':
        return this.addTags(input);
      case 'ListTags':
        return this.listTags(input);
      case 'DeleteTags':
        return this.deleteTags(input);
      default:
        throw new AwsError('UnknownOperationException', `Operation ${operation} is not supported by this server.`);
    }
  }

  // ---- models ----

  private createModel(input: Json): Json {
    const name = checkName('modelName', input.ModelName);
    const arn = this.arn('model', name);
    if (this.models.has(name)) throw alreadyExists('model', arn);
    if (input.PrimaryContainer === undefined && input.Containers === undefined) {
      throw validation('Either PrimaryContainer or Containers must be specified.');
    }
    if (typeof input.ExecutionRoleArn !== 'string') {
      throw constraint('executionRoleArn', input.ExecutionRoleArn, 'Member must not be null');
    }
    const container = (input.PrimaryContainer ?? (input.Containers as Json[])[0]) as Json;
    if (typeof container.Image !== 'string')
      throw constraint('primaryContainer.image', container.Image, 'Member must not be null');
    const creationTime = this.now();
    const description: Json = {
      ModelName: name,
      ModelArn: arn,
      ExecutionRoleArn: input.ExecutionRoleArn,
      CreationTime: epochSeconds(creationTime),
      EnableNetworkIsolation: input.EnableNetworkIsolation ?? false,
      DeploymentRecommendation: { RecommendationStatus: 'NOT_APPLICABLE' },
    };
    if (input.PrimaryContainer !== undefined)
      description.PrimaryContainer = withContainerDefaults(input.PrimaryContainer as Json);
    if (input.Containers !== undefined)
      description.Containers = (input.Containers as Json[]).map(withContainerDefaults);
    if (input.VpcConfig !== undefined) description.VpcConfig = input.VpcConfig;
    this.models.set(name, { name, arn, creationTime, description });
    this.tags.set(arn, tagList(input.Tags));
    return { ModelArn: arn };
  }

  private model(input: Json): ModelRecord {
    const name = checkName('modelName', input.ModelName);
    const found = this.models.get(name);
    if (!found) throw notFound('model', this.arn('model', name));
    return found;
  }

  private describeModel(input: Json): Json {
    return this.model(input).description;
  }

  private deleteModel(input: Json): Json {
    const found = this.model(input);
    this.models.delete(found.name);
    this.tags.delete(found.arn);
    return {};
  }

  private listModels(input: Json): Json {
    const { items, listing } = sortAndFilter(this.models.values(), input);
    const result = page(items, input, `models${listing}`);
    return {
      Models: result.items.map((item) => ({
        ModelName: item.name,
        ModelArn: item.arn,
        CreationTime: epochSeconds(item.creationTime),
      })),
      ...(result.NextToken ? { NextToken: result.NextToken } : {}),
    };
  }

  // ---- endpoint configs ----

  private createEndpointConfig(input: Json): Json {
    const name = checkName('endpointConfigName', input.EndpointConfigName);
    const arn = this.arn('endpoint-config', name);
    if (this.configs.has(name)) throw alreadyExists('endpoint configuration', arn);
    const variants = input.ProductionVariants;
    if (!Array.isArray(variants) || variants.length === 0) {
      throw constraint('productionVariants', undefined, 'Member must have length greater than or equal to 1');
    }
    const seen = new Set<string>();
    for (const variant of variants as Json[]) {
      const variantName = checkName('productionVariants.member.variantName', variant.VariantName);
      if (seen.has(variantName))
        throw validation(`Variant names must be unique. Found duplicate variant "${variantName}".`);
      seen.add(variantName);
      const modelName = checkName('productionVariants.member.modelName', variant.ModelName);
      if (!this.models.has(modelName)) throw notFound('model', this.arn('model', modelName));
      if (
        variant.ServerlessConfig === undefined &&
        (variant.InstanceType === undefined || variant.InitialInstanceCount === undefined)
      ) {
        throw validation(
          `Invalid ProductionVariant "${variantName}": specify InstanceType and InitialInstanceCount, or ServerlessConfig.`,
        );
      }
    }
    const asyncConfig = input.AsyncInferenceConfig as Json | undefined;
    if (asyncConfig !== undefined) {
      const output = asyncConfig.OutputConfig as Json | undefined;
      if (typeof output?.S3OutputPath !== 'string') {
        throw constraint('asyncInferenceConfig.outputConfig.s3OutputPath', undefined, 'Member must not be null');
      }
    }
    const creationTime = this.now();
    const description: Json = {
      EndpointConfigName: name,
      EndpointConfigArn: arn,
      ProductionVariants: (variants as Json[]).map((variant) => ({ InitialVariantWeight: 1, ...variant })),
      CreationTime: epochSeconds(creationTime),
      EnableNetworkIsolation: false,
    };
    for (const key of [
      'DataCaptureConfig',
      'AsyncInferenceConfig',
      'ExplainerConfig',
      'KmsKeyId',
      'ShadowProductionVariants',
    ]) {
      if (input[key] !== undefined) description[key] = input[key];
    }
    this.configs.set(name, {
      name,
      arn,
      creationTime,
      description,
      variants: description.ProductionVariants as Json[],
    });
    this.tags.set(arn, tagList(input.Tags));
    return { EndpointConfigArn: arn };
  }

  private config(input: Json): ConfigRecord {
    const name = checkName('endpointConfigName', input.EndpointConfigName);
    const found = this.configs.get(name);
    if (!found) throw notFound('endpoint configuration', this.arn('endpoint-config', name));
    return found;
  }

  private describeEndpointConfig(input: Json): Json {
    return this.config(input).description;
  }

  private deleteEndpointConfig(input: Json): Json {
    const found = this.config(input);
    this.configs.delete(found.name);
    this.tags.delete(found.arn);
    return {};
  }

  private listEndpointConfigs(input: Json): Json {
    const { items, listing } = sortAndFilter(this.configs.values(), input);
    const result = page(items, input, `configs${listing}`);
    return {
      EndpointConfigs: result.items.map((item) => ({
        EndpointConfigName: item.name,
        EndpointConfigArn: item.arn,
        CreationTime: epochSeconds(item.creationTime),
      })),
      ...(result.NextToken ? { NextToken: result.NextToken } : {}),
    };
  }

  // ---- endpoints ----

  private endpoint(input: Json): EndpointRecord {
    const name = checkName('endpointName', input.EndpointName);
    const found = this.endpoints.get(name);
    if (!found) throw notFound('endpoint', this.arn('endpoint', name));
    return found;
  }

  private createEndpoint(input: Json): Json {
    const name = checkName('endpointName', input.EndpointName);
    const arn = this.arn('endpoint', name);
    if (this.endpoints.has(name)) throw alreadyExists('endpoint', arn);
    const config = this.config(input);
    const creationTime = this.now();
    const record: EndpointRecord = {
      name,
      arn,
      status: 'Creating',
      failureReason: undefined,
      creationTime,
      lastModifiedTime: creationTime,
      configName: config.name,
      live: undefined,
      pending: undefined,
      lastDeploymentConfig: undefined,
      generation: 0,
      served: 0,
    };
    this.endpoints.set(name, record);
    this.tags.set(arn, tagList(input.Tags));
    this.run(this.provision(record, config, record.generation));
    return { EndpointArn: arn };
  }

  private async provision(record: EndpointRecord, config: ConfigRecord, generation: number): Promise<void> {
    await sleep(this.options.createLatencyMs);
    if (record.generation !== generation || this.closed) return;
    const injected = this.takeFailure('CreateEndpoint', record.name);
    if (injected !== undefined) return this.fail(record, injected);
    const fleet = this.fleetOf(config);
    const problem = await this.startFleet(fleet);
    if (record.generation !== generation || this.closed) return void (await stopFleet(fleet));
    if (problem !== undefined) {
      await stopFleet(fleet);
      return this.fail(record, problem);
    }
    record.live = fleet;
    record.status = 'InService';
    record.lastModifiedTime = this.now();
  }

  private fail(record: EndpointRecord, reason: string): void {
    record.status = 'Failed';
    record.failureReason = reason;
    record.lastModifiedTime = this.now();
  }

  private takeFailure(operation: InjectedFailure['operation'], endpointName: string): string | undefined {
    const index = this.failures.findIndex(
      (failure) => failure.operation === operation && (failure.endpointName ?? endpointName) === endpointName,
    );
    if (index === -1) return undefined;
    return this.failures.splice(index, 1)[0]?.reason;
  }

  private fleetOf(config: ConfigRecord, previous?: Fleet, retain = false, excluded: string[] = []): Fleet {
    return {
      configName: config.name,
      config,
      variants: config.variants.map((variant) => {
        const model = this.models.get(variant.ModelName as string);
        const container = (model?.description.PrimaryContainer ??
          (model?.description.Containers as Json[] | undefined)?.[0]) as Json | undefined;
        const kept = retain ? previous?.variants.find((old) => old.name === variant.VariantName) : undefined;
        const weight =
          kept && !excluded.includes('DesiredWeight') ? kept.currentWeight : Number(variant.InitialVariantWeight ?? 1);
        const count =
          kept && !excluded.includes('DesiredInstanceCount')
            ? kept.currentInstanceCount
            : (variant.InitialInstanceCount as number | undefined);
        return {
          name: variant.VariantName as string,
          modelName: variant.ModelName as string,
          image: container?.Image as string | undefined,
          currentWeight: weight,
          desiredWeight: weight,
          currentInstanceCount: variant.ServerlessConfig ? undefined : count,
          desiredInstanceCount: variant.ServerlessConfig ? undefined : count,
          serverless: variant.ServerlessConfig as Json | undefined,
          container: undefined,
          containerProblem: undefined,
          served: 0,
        };
      }),
    };
  }

  /** Starts one container per variant (in parallel); the reason SageMaker would give when one fails. */
  private async startFleet(fleet: Fleet): Promise<string | undefined> {
    const problems = await Promise.all(fleet.variants.map((variant) => this.startVariant(variant)));
    return problems.find((problem) => problem !== undefined);
  }

  private async startVariant(variant: VariantState): Promise<string | undefined> {
    const model = this.models.get(variant.modelName);
    if (!model) return `Could not find model "${this.arn('model', variant.modelName)}".`;
    if (!this.options.runContainers) {
      variant.containerProblem = 'the loopback server runs no containers (runContainers: false)';
      return undefined;
    }
    const container = (model.description.PrimaryContainer ?? (model.description.Containers as Json[])[0]) as Json;
    try {
      variant.container = await this.options.containers.start({
        image: container.Image as string,
        modelDataUrl: container.ModelDataUrl as string | undefined,
        environment: (container.Environment as Record<string, string> | undefined) ?? {},
      });
      return undefined;
    } catch (error) {
      if (!(error instanceof ContainerStartError)) throw error;
      this.containerErrors.push({ variant: variant.name, message: error.message });
      return error.message.startsWith('Failed to pull image')
        ? (error.message.split('\n')[0] as string)
        : `The primary container for production variant ${variant.name} did not pass the ping health check. Please check CloudWatch logs for this endpoint.`;
    }
  }

  /** Why containers failed to start (their log tails), for tests that need to see it. */
  readonly containerErrors: Array<{ variant: string; message: string }> = [];

  private describeEndpoint(input: Json): Json {
    const record = this.endpoint(input);
    const description: Json = {
      EndpointName: record.name,
      EndpointArn: record.arn,
      EndpointConfigName: record.configName,
      EndpointStatus: record.status,
      CreationTime: epochSeconds(record.creationTime),
      LastModifiedTime: epochSeconds(record.lastModifiedTime),
    };
    if (record.live) description.ProductionVariants = record.live.variants.map((variant) => variantSummary(variant));
    const config = record.live?.config ?? this.configs.get(record.configName);
    const capture = config?.description.DataCaptureConfig as Json | undefined;
    if (capture) {
      description.DataCaptureConfig = {
        EnableCapture: capture.EnableCapture ?? true,
        CaptureStatus: capture.EnableCapture === false ? 'Stopped' : 'Started',
        CurrentSamplingPercentage: capture.InitialSamplingPercentage,
        DestinationS3Uri: capture.DestinationS3Uri,
        ...(capture.KmsKeyId ? { KmsKeyId: capture.KmsKeyId } : {}),
      };
    }
    if (config?.description.AsyncInferenceConfig)
      description.AsyncInferenceConfig = config.description.AsyncInferenceConfig;
    if (config?.description.ExplainerConfig) description.ExplainerConfig = config.description.ExplainerConfig;
    if (record.failureReason !== undefined) description.FailureReason = record.failureReason;
    if (record.lastDeploymentConfig !== undefined) description.LastDeploymentConfig = record.lastDeploymentConfig;
    if (record.pending) {
      const pending = record.pending;
      description.PendingDeploymentSummary = {
        EndpointConfigName: pending.fleet.configName,
        StartTime: epochSeconds(pending.startTime),
        ProductionVariants: pending.fleet.variants.map((variant) => ({
          ...variantSummary(variant),
          VariantStatus: [
            {
              Status: pending.status,
              StatusMessage: pending.statusMessage,
              StartTime: epochSeconds(pending.startTime),
            },
          ],
        })),
      };
    }
    return description;
  }

  private deleteEndpoint(input: Json): Json {
    const record = this.endpoint(input);
    record.generation++;
    record.status = 'Deleting';
    record.lastModifiedTime = this.now();
    const generation = record.generation;
    this.run(
      (async () => {
        await sleep(this.options.deleteLatencyMs);
        if (record.generation !== generation) return;
        await stopFleet(record.live);
        await stopFleet(record.pending?.fleet);
        this.endpoints.delete(record.name);
        this.tags.delete(record.arn);
      })(),
    );
    return {};
  }

  private listEndpoints(input: Json): Json {
    const items = [...this.endpoints.values()].map((record) => ({ ...record, status: record.status as string }));
    const filtered = items.filter((record) => {
      const after = input.CreationTimeAfter as number | undefined;
      const before = input.CreationTimeBefore as number | undefined;
      const created = epochSeconds(record.creationTime);
      return (after === undefined || created > after) && (before === undefined || created < before);
    });
    const { items: sorted, listing } = sortAndFilter(filtered, input);
    const result = page(sorted, input, `endpoints${listing}`);
    return {
      Endpoints: result.items.map((record) => ({
        EndpointName: record.name,
        EndpointArn: record.arn,
        CreationTime: epochSeconds(record.creationTime),
        LastModifiedTime: epochSeconds(record.lastModifiedTime),
        EndpointStatus: record.status,
      })),
      ...(result.NextToken ? { NextToken: result.NextToken } : {}),
    };
  }

  private updateEndpoint(input: Json): Json {
    const record = this.endpoint(input);
    if (record.status !== 'InService') throw validation(`Cannot update in-progress endpoint "${record.arn}".`);
    const config = this.config(input);
    const deployment = input.DeploymentConfig as Json | undefined;
    const plan = rolloutPlan(deployment, config.variants);
    const retain = input.RetainAllVariantProperties === true;
    const excluded = ((input.ExcludeRetainedVariantProperties as Json[] | undefined) ?? []).map(
      (property) => property.VariantPropertyType as string,
    );
    const fleet = this.fleetOf(config, record.live, retain, excluded);
    record.status = 'Updating';
    record.failureReason = undefined;
    record.lastModifiedTime = this.now();
    record.pending = {
      fleet,
      trafficShare: 0,
      status: 'Creating',
      statusMessage: 'Launching instances for the new fleet.',
      startTime: this.now(),
      served: 0,
    };
    const retainDeployment = input.RetainDeploymentConfig === true ? record.lastDeploymentConfig : undefined;
    this.run(this.rollout(record, fleet, plan, deployment ?? retainDeployment, record.generation));
    return { EndpointArn: record.arn };
  }

  private async rollout(
    record: EndpointRecord,
    fleet: Fleet,
    plan: RolloutPlan,
    deployment: Json | undefined,
    generation: number,
  ): Promise<void> {
    const stale = () => record.generation !== generation || this.closed;
    await sleep(this.options.updateLatencyMs);
    if (stale()) return void (await stopFleet(fleet));
    const injected = this.takeFailure('UpdateEndpoint', record.name);
    if (injected !== undefined) return this.rollBack(record, fleet, injected);
    const problem = await this.startFleet(fleet);
    if (stale()) return void (await stopFleet(fleet));
    if (problem !== undefined) return this.rollBack(record, fleet, problem);
    const pending = record.pending as PendingDeployment;
    for (const [index, share] of plan.shares.entries()) {
      pending.trafficShare = share;
      pending.status = 'Baking';
      pending.statusMessage = `Shifted ${Math.round(share * 100)}% of traffic to the new fleet (step ${index + 1} of ${plan.shares.length}).`;
      record.lastModifiedTime = this.now();
      const bakes = share < 1 || plan.bakeAfterFullShift;
      if (bakes && plan.waitSeconds > 0) {
        const alarm = await this.bake(plan.waitSeconds, plan.alarms, stale);
        if (stale()) return void (await stopFleet(fleet));
        if (alarm !== undefined) {
          return this.rollBack(
            record,
            fleet,
            `Deployment was rolled back: CloudWatch alarm(s) [${alarm.join(', ')}] went into ALARM state during the deployment.`,
          );
        }
      }
    }
    const old = record.live;
    record.live = fleet;
    record.pending = undefined;
    record.configName = fleet.configName;
    record.status = 'InService';
    record.lastDeploymentConfig = deployment;
    record.lastModifiedTime = this.now();
    this.run(
      (async () => {
        if (plan.terminationWaitSeconds > 0) await sleep(plan.terminationWaitSeconds * this.options.secondsMs);
        await stopFleet(old);
      })(),
    );
  }

  /** Waits `seconds` while reading the alarms; the names of the alarms in ALARM, or undefined. */
  private async bake(seconds: number, alarms: string[], stale: () => boolean): Promise<string[] | undefined> {
    const until = Date.now() + seconds * this.options.secondsMs;
    for (;;) {
      if (alarms.length > 0) {
        const firing = await this.alarmsInAlarm(alarms);
        if (firing.length > 0) return firing;
      }
      const left = until - Date.now();
      if (left <= 0 || stale()) return undefined;
      await sleep(Math.min(left, this.options.alarmPollMs));
    }
  }

  private async alarmsInAlarm(names: string[]): Promise<string[]> {
    if (!this.options.cloudWatch) throw new Error('AutoRollbackConfiguration needs CloudWatch (moto) to read alarms');
    const [{ DescribeAlarmsCommand }, cloudWatch] = await Promise.all([
      import('@aws-sdk/client-cloudwatch'),
      this.options.cloudWatch(),
    ]);
    const answer = await cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: names }));
    return (answer.MetricAlarms ?? [])
      .filter((alarm) => alarm.StateValue === 'ALARM')
      .map((alarm) => alarm.AlarmName as string);
  }

  private async rollBack(record: EndpointRecord, fleet: Fleet, reason: string): Promise<void> {
    if (record.pending) {
      record.pending.status = 'Deleting';
      record.pending.trafficShare = 0;
    }
    record.status = 'RollingBack';
    record.lastModifiedTime = this.now();
    await stopFleet(fleet);
    // Back in service on the old config; FailureReason tells why the update did not happen.
    record.pending = undefined;
    record.status = 'InService';
    record.failureReason = reason;
    record.lastModifiedTime = this.now();
  }

  private updateWeights(input: Json): Json {
    const record = this.endpoint(input);
    if (record.status !== 'InService' || !record.live) {
      throw validation(`Cannot update in-progress endpoint "${record.arn}".`);
    }
    const desired = input.DesiredWeightsAndCapacities;
    if (!Array.isArray(desired) || desired.length === 0) {
      throw constraint('desiredWeightsAndCapacities', undefined, 'Member must have length greater than or equal to 1');
    }
    const live = record.live;
    const missing = (desired as Json[])
      .map((entry) => entry.VariantName as string)
      .filter((name) => !live.variants.some((variant) => variant.name === name));
    if (missing.length > 0) {
      throw validation(`The variant(s) "[${missing.join(', ')}]" are not present in the endpoint "${record.arn}".`);
    }
    for (const entry of desired as Json[]) {
      const variant = live.variants.find((candidate) => candidate.name === entry.VariantName) as VariantState;
      if (entry.DesiredWeight !== undefined) {
        const weight = entry.DesiredWeight;
        if (typeof weight !== 'number' || weight < 0) {
          throw constraint(
            'desiredWeightsAndCapacities.member.desiredWeight',
            weight,
            'Member must have value greater than or equal to 0',
          );
        }
        variant.desiredWeight = weight;
      }
      if (entry.DesiredInstanceCount !== undefined) variant.desiredInstanceCount = entry.DesiredInstanceCount as number;
    }
    if (live.variants.every((variant) => variant.desiredWeight === 0)) {
      throw validation('The sum of the desired weights of the variants must be greater than 0.');
    }
    record.status = 'Updating';
    record.lastModifiedTime = this.now();
    const generation = record.generation;
    this.run(
      (async () => {
        await sleep(this.options.updateLatencyMs);
        if (record.generation !== generation) return;
        for (const variant of live.variants) {
          variant.currentWeight = variant.desiredWeight;
          variant.currentInstanceCount = variant.desiredInstanceCount;
        }
        record.status = 'InService';
        record.lastModifiedTime = this.now();
      })(),
    );
    return { EndpointArn: record.arn };
  }

  // ---- tags ----

  private taggedResource(input: Json): string {
    const arn = input.ResourceArn;
    if (typeof arn !== 'string') throw constraint('resourceArn', arn, 'Member must not be null');
    if (!this.tags.has(arn)) {
      const kind = /:([a-z-]+)\/[^/]+$/.exec(arn)?.[1] ?? 'resource';
      throw validation(`Could not find ${kind.replace('-', ' ')} "${arn}".`);
    }
    return arn;
  }

  private addTags(input: Json): Json {
    const arn = this.taggedResource(input);
    const current = this.tags.get(arn) as Tag[];
    for (const tag of tagList(input.Tags)) {
      const index = current.findIndex((existing) => existing.Key === tag.Key);
      if (index === -1) current.push(tag);
      else current[index] = tag;
    }
    return { Tags: current };
  }

  private listTags(input: Json): Json {
    const arn = this.taggedResource(input);
    const result = page(
      this.tags.get(arn) as Tag[],
      { MaxResults: input.MaxResults ?? 50, NextToken: input.NextToken },
      `tags${arn}`,
    );
    return { Tags: result.items, ...(result.NextToken ? { NextToken: result.NextToken } : {}) };
  }

  private deleteTags(input: Json): Json {
    const arn = this.taggedResource(input);
    const keys = (input.TagKeys as string[] | undefined) ?? [];
    this.tags.set(
      arn,
      (this.tags.get(arn) as Tag[]).filter((tag) => !keys.includes(tag.Key)),
    );
    return {};
  }

  // ---- lifecycle ----

  private run(work: Promise<unknown>): void {
    const tracked = work.catch((error: unknown) => {
      this.backgroundErrors.push(error);
    });
    this.background.add(tracked);
    void tracked.finally(() => this.background.delete(tracked));
  }

  /** Errors thrown by background work (a bug in this server if not empty). */
  readonly backgroundErrors: unknown[] = [];

  /** Forgets everything (between tests) and stops every container. */
  async reset(): Promise<void> {
    for (const record of this.endpoints.values()) record.generation++;
    const fleets = [...this.endpoints.values()].flatMap((record) => [record.live, record.pending?.fleet]);
    this.endpoints.clear();
    this.models.clear();
    this.configs.clear();
    this.tags.clear();
    this.failures.length = 0;
    this.containerErrors.length = 0;
    await Promise.all(fleets.map((fleet) => stopFleet(fleet)));
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.reset();
    await Promise.all([...this.background]);
  }
}

function withContainerDefaults(container: Json): Json {
  return { Mode: 'SingleModel', ...container };
}

function tagList(value: unknown): Tag[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw constraint('tags', value, 'Member must be a list');
  return value.map((tag: Json) => {
    if (typeof tag.Key !== 'string' || typeof tag.Value !== 'string') {
      throw constraint('tags.member', JSON.stringify(tag), 'Key and Value must be strings');
    }
    return { Key: tag.Key, Value: tag.Value };
  });
}

function variantSummary(variant: VariantState): Json {
  const summary: Json = {
    VariantName: variant.name,
    CurrentWeight: variant.currentWeight,
    DesiredWeight: variant.desiredWeight,
  };
  if (variant.image) {
    summary.DeployedImages = [
      { SpecifiedImage: variant.image, ResolvedImage: `${variant.image.split(':')[0]}@sha256:${'0'.repeat(64)}` },
    ];
  }
  if (variant.serverless) {
    summary.CurrentServerlessConfig = variant.serverless;
    summary.DesiredServerlessConfig = variant.serverless;
  } else {
    summary.CurrentInstanceCount = variant.currentInstanceCount;
    summary.DesiredInstanceCount = variant.desiredInstanceCount;
  }
  return summary;
}

async function stopFleet(fleet: Fleet | undefined): Promise<void> {
  if (!fleet) return;
  await Promise.all(
    fleet.variants.map(async (variant) => {
      const container = variant.container;
      variant.container = undefined;
      await container?.stop();
    }),
  );
}

interface RolloutPlan {
  /** Cumulative share of traffic on the new fleet after each step; the last is 1. */
  shares: number[];
  waitSeconds: number;
  /** ALL_AT_ONCE bakes after the full shift (its wait interval is the baking period). */
  bakeAfterFullShift: boolean;
  terminationWaitSeconds: number;
  alarms: string[];
}

/** SageMaker's blue/green traffic shifting, checked as UpdateEndpoint checks it. */
function rolloutPlan(deployment: Json | undefined, variants: Json[]): RolloutPlan {
  const alarms = (
    ((deployment?.AutoRollbackConfiguration as Json | undefined)?.Alarms as Json[] | undefined) ?? []
  ).map((alarm) => alarm.AlarmName as string);
  if (deployment?.RollingUpdatePolicy !== undefined) {
    throw validation(
      'RollingUpdatePolicy is not supported by the loopback SageMaker server; use BlueGreenUpdatePolicy.',
    );
  }
  const policy = deployment?.BlueGreenUpdatePolicy as Json | undefined;
  const routing = (policy?.TrafficRoutingConfiguration as Json | undefined) ?? {
    Type: 'ALL_AT_ONCE',
    WaitIntervalInSeconds: 0,
  };
  const waitSeconds = Number(routing.WaitIntervalInSeconds ?? 0);
  if (!Number.isInteger(waitSeconds) || waitSeconds < 0 || waitSeconds > 3600) {
    throw constraint(
      'deploymentConfig.blueGreenUpdatePolicy.trafficRoutingConfiguration.waitIntervalInSeconds',
      waitSeconds,
      'Member must have value less than or equal to 3600',
    );
  }
  const terminationWaitSeconds = Number(policy?.TerminationWaitInSeconds ?? 0);
  const instances = variants.reduce((sum, variant) => sum + Number(variant.InitialInstanceCount ?? 1), 0);
  const shareOf = (size: Json | undefined, member: string): number => {
    if (size === undefined) throw constraint(member, undefined, 'Member must not be null');
    const value = Number(size.Value);
    if (size.Type === 'CAPACITY_PERCENT') return value / 100;
    if (size.Type === 'INSTANCE_COUNT') return value / instances;
    throw constraint(
      `${member}.type`,
      size.Type,
      'Member must satisfy enum value set: [INSTANCE_COUNT, CAPACITY_PERCENT]',
    );
  };
  const base = { waitSeconds, terminationWaitSeconds, alarms };
  switch (routing.Type) {
    case 'ALL_AT_ONCE':
      return { ...base, shares: [1], bakeAfterFullShift: true };
    case 'CANARY': {
      const share = shareOf(routing.CanarySize as Json | undefined, 'trafficRoutingConfiguration.canarySize');
      if (!(share > 0 && share <= 0.5)) {
        throw validation('CanarySize must be greater than 0 and at most 50% of the new fleet capacity.');
      }
      return { ...base, shares: [share, 1], bakeAfterFullShift: false };
    }
    case 'LINEAR': {
      const step = shareOf(routing.LinearStepSize as Json | undefined, 'trafficRoutingConfiguration.linearStepSize');
      if (!(step >= 0.1 && step <= 0.5)) {
        throw validation('LinearStepSize must be between 10% and 50% of the new fleet capacity.');
      }
      const shares: number[] = [];
      for (let share = step; share < 1 - 1e-9; share += step) shares.push(share);
      shares.push(1);
      return { ...base, shares, bakeAfterFullShift: false };
    }
    default:
      throw constraint(
        'trafficRoutingConfiguration.type',
        routing.Type,
        'Member must satisfy enum value set: [ALL_AT_ONCE, CANARY, LINEAR]',
      );
  }
}
