import { BerthError } from '@berth/core';
import type { AwsClients } from './aws-clients.js';
import type { DeploymentConfig, SageMakerConfig } from './sagemaker-config.js';

/**
 * Guarded rollouts (MLflow FR #7848): SageMaker's `DeploymentConfig` on UpdateEndpoint — blue/green
 * traffic shifting all at once, as a canary or in linear steps, with a termination wait and
 * CloudWatch alarms that roll the update back. Given whole (`-C deployment_config=`) or through
 * the short keys (`traffic_routing`, `traffic_step`, `wait_interval_seconds`,
 * `termination_wait_seconds`, `rollback_alarms`).
 */

const SHORT_KEYS = [
  'traffic_routing',
  'traffic_step',
  'wait_interval_seconds',
  'termination_wait_seconds',
  'rollback_alarms',
] as const;
export const DEFAULT_WAIT_INTERVAL_SECONDS = 300;
const DEFAULT_STEP = '10%';

export function rolloutDeploymentConfig(config: SageMakerConfig): DeploymentConfig | undefined {
  const short = SHORT_KEYS.filter((key) => config[key] !== undefined);
  if (config.deployment_config !== undefined) {
    if (short.length > 0) {
      throw BerthError.invalidParameterValue(
        `Pass either deployment_config or the short rollout keys, not both (got deployment_config and ${short.join(', ')}).`,
      );
    }
    return config.deployment_config;
  }
  if (short.length === 0) return undefined;
  const type = (config.traffic_routing?.toUpperCase() ?? 'ALL_AT_ONCE') as 'ALL_AT_ONCE' | 'CANARY' | 'LINEAR';
  if (type === 'ALL_AT_ONCE' && config.traffic_step !== undefined) {
    throw BerthError.invalidParameterValue(
      'traffic_step applies to traffic_routing=CANARY or LINEAR; ALL_AT_ONCE shifts all traffic in one step.',
    );
  }
  const step = capacitySize(config.traffic_step ?? DEFAULT_STEP);
  const alarms = alarmNames(config.rollback_alarms);
  return {
    BlueGreenUpdatePolicy: {
      TrafficRoutingConfiguration: {
        Type: type,
        WaitIntervalInSeconds: config.wait_interval_seconds ?? DEFAULT_WAIT_INTERVAL_SECONDS,
        ...(type === 'CANARY' ? { CanarySize: step } : {}),
        ...(type === 'LINEAR' ? { LinearStepSize: step } : {}),
      },
      ...(config.termination_wait_seconds === undefined
        ? {}
        : { TerminationWaitInSeconds: config.termination_wait_seconds }),
    },
    ...(alarms.length > 0 ? { AutoRollbackConfiguration: { Alarms: alarms.map((AlarmName) => ({ AlarmName })) } } : {}),
  };
}

function capacitySize(step: string | number): { Type: 'INSTANCE_COUNT' | 'CAPACITY_PERCENT'; Value: number } {
  if (typeof step === 'number') return { Type: 'INSTANCE_COUNT', Value: step };
  const percent = step.endsWith('%');
  const value = Number(percent ? step.slice(0, -1) : step);
  if (!Number.isInteger(value) || value < 1 || (percent && value > 100)) {
    throw BerthError.invalidParameterValue(
      `traffic_step '${step}' must be an instance count (2) or a percentage (10%).`,
    );
  }
  return { Type: percent ? 'CAPACITY_PERCENT' : 'INSTANCE_COUNT', Value: value };
}

export function alarmNames(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  let names: unknown = value;
  // The CLI keeps '["a","b"]' as text (the key also takes a plain string).
  if (typeof value === 'string' && value.trim().startsWith('[')) {
    try {
      names = JSON.parse(value);
    } catch {
      throw BerthError.invalidParameterValue(
        `rollback_alarms '${value}' is neither a JSON list nor a comma-separated list.`,
      );
    }
  }
  if (typeof names === 'string') names = names.split(',');
  if (!Array.isArray(names) || !names.every((name) => typeof name === 'string')) {
    throw BerthError.invalidParameterValue('rollback_alarms must list CloudWatch alarm names.');
  }
  return (names as string[]).map((name) => name.trim()).filter((name) => name !== '');
}

/** What the result of a guarded update says. */
export interface RolloutReport {
  status: 'completed' | 'rolled back';
  /** ALL_AT_ONCE, CANARY, LINEAR or ROLLING. */
  strategy: string;
  /** Why it was rolled back: the alarms in ALARM with CloudWatch's reason, or SageMaker's FailureReason. */
  reason?: string;
  alarms?: { name: string; state: string; reason?: string }[];
}

export function rolloutStrategy(config: DeploymentConfig): string {
  if (config.RollingUpdatePolicy) return 'ROLLING';
  return config.BlueGreenUpdatePolicy?.TrafficRoutingConfiguration.Type ?? 'ALL_AT_ONCE';
}

/**
 * Why SageMaker rolled an update back: the rollback alarms that are (still) in ALARM, with
 * CloudWatch's StateReason; else the endpoint's FailureReason; else a plain statement.
 */
export async function explainRollback(
  clients: AwsClients,
  config: DeploymentConfig,
  failureReason: string | undefined,
): Promise<RolloutReport> {
  const strategy = rolloutStrategy(config);
  const names = (config.AutoRollbackConfiguration?.Alarms ?? []).map((alarm) => alarm.AlarmName);
  let alarms: RolloutReport['alarms'] = [];
  if (names.length > 0) {
    try {
      const { client, sdk } = await clients.cloudwatch();
      const answer = await client.send(new sdk.DescribeAlarmsCommand({ AlarmNames: names }));
      alarms = [...(answer.MetricAlarms ?? []), ...(answer.CompositeAlarms ?? [])].map((alarm) => ({
        name: alarm.AlarmName ?? '?',
        state: alarm.StateValue ?? 'UNKNOWN',
        ...(alarm.StateReason ? { reason: alarm.StateReason } : {}),
      }));
    } catch {
      // The rollback itself is the news; an unreadable alarm only makes the reason vaguer.
    }
  }
  const firing = alarms.filter((alarm) => alarm.state === 'ALARM');
  const reason =
    firing.length > 0
      ? firing.map((alarm) => `alarm '${alarm.name}' is in ALARM${alarm.reason ? ` (${alarm.reason})` : ''}`).join('; ')
      : (failureReason ??
        (names.length > 0
          ? `SageMaker rolled the update back; none of the alarms ${names.join(', ')} is in ALARM now`
          : 'SageMaker rolled the update back'));
  return { status: 'rolled back', strategy, reason, ...(alarms.length > 0 ? { alarms } : {}) };
}
