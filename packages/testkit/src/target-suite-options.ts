import type { BaseDeploymentClient, PredictionInput, TargetConfig } from '@berth/core';

/** What the target offers beyond the required methods. Undeclared means "must reject with NOT_IMPLEMENTED". */
export interface TargetCapabilities {
  /** `predictStream` yields chunks. */
  predictStream?: boolean;
  /** `explain` answers. */
  explain?: boolean;
  /** `createEndpoint` … `getEndpoint` work (and `predict` with `{ endpoint }`). */
  endpoints?: boolean;
  /**
   * `runLocal` serves a model in the foreground (the suite does not start it: it blocks until
   * interrupted). `false` means the target cannot run locally and `runLocal` must reject with
   * NOT_IMPLEMENTED, which the suite checks. Default `true`.
   */
  runLocal?: boolean;
}

/** Model URIs the target can deploy. */
export interface TargetModels {
  /** A model every lifecycle and predict check deploys. */
  default: string;
  /** A different model accepting the same inputs, for the update checks. Default: `default`. */
  update?: string;
  /**
   * A model the target must refuse (it fails to load, or to pass the target's readiness check).
   * When given, create and update with it must fail without leaving a deployment or breaking the
   * running one.
   */
  broken?: string;
}

/** Inputs for `predict`. */
export interface TargetInputs {
  /** A scoring-protocol body (`{dataframe_split: …}`, `{inputs: …}`, …) the models accept. */
  valid: PredictionInput;
  /** How many predictions `valid` gives (its rows). Checked when given. */
  rows?: number;
  /** A body the model cannot take; predict must reject it with INVALID_PARAMETER_VALUE or BAD_REQUEST. */
  invalid?: PredictionInput;
}

/** A target module as imported: `import * as target from 'berth-target-x'`. */
export type TargetModuleNamespace = Readonly<Record<string, unknown>>;

export interface TargetSuiteOptions {
  /**
   * The target's entry module (`import * as target from '../src/index.js'`). Its exports are
   * validated with @berth/core's loader. Give this, `packageDir`, or both.
   */
  module?: TargetModuleNamespace;
  /**
   * The target package's folder (where its package.json is). When given, the suite also checks
   * discovery: a temporary project that depends on the package must list the target and load it
   * through package.json → `deploymentTargets` → `exports` (so the package must be built).
   */
  packageDir?: string;
  capabilities?: TargetCapabilities;
  models: TargetModels;
  inputs: TargetInputs;
  /**
   * The target passes config keys it does not declare on to a backend that checks them (the http
   * target forwards them to the target behind a Berth server). `config.unknown-key` and
   * `config.strict-schema` then check that an undeclared key gets through core's validation and the
   * schema unchanged; `config.create-refuses-unknown` still checks that the backend refuses it.
   */
  configPassThrough?: boolean;
  /** `flavor` passed to createDeployment. */
  flavor?: string;
  /** `config` passed to createDeployment (already typed, as from code). */
  config?: TargetConfig;
  /**
   * The config to create an endpoint that routes to the given deployments (endpoints capability),
   * e.g. `(names) => ({ traffic: { [names[0]]: 100 } })`. Default `{}`.
   */
  endpointConfig?: (deployments: readonly string[]) => TargetConfig;
  /** The states the target reports in `Deployment.state`; each reported state must be one of them. */
  states?: readonly string[];
  /** Deployment and endpoint names start with this (lowercase letters, digits, `-`). Default `testkit`. */
  prefix?: string;
  /** Timeout of each check that talks to the target, in ms. Default 60 000. */
  timeoutMs?: number;
}

export type CreateClient = () => BaseDeploymentClient | Promise<BaseDeploymentClient>;
