import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { ECRClient } from '@aws-sdk/client-ecr';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { awsError } from './aws-errors.js';

/**
 * The AWS SDK clients of one target client, each imported and built on first use: `berth list`
 * loads the SageMaker client only, `berth help` none. Credentials, profiles and endpoints come
 * from the SDK's standard chain (`AWS_PROFILE`, `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`);
 * with a role to assume, every client (ECR too, unlike MLflow) runs with its temporary credentials.
 */

export type SageMakerSdk = typeof import('@aws-sdk/client-sagemaker');
export type RuntimeSdk = typeof import('@aws-sdk/client-sagemaker-runtime');
export type S3Sdk = typeof import('@aws-sdk/client-s3');
export type StsSdk = typeof import('@aws-sdk/client-sts');
export type IamSdk = typeof import('@aws-sdk/client-iam');
export type EcrSdk = typeof import('@aws-sdk/client-ecr');
export type CloudWatchSdk = typeof import('@aws-sdk/client-cloudwatch');

/** A client with the SDK module it came from, so callers build commands without importing it again. */
export interface Loaded<Client, Sdk> {
  client: Client;
  sdk: Sdk;
}

/** Session name of the assumed role, as it appears in CloudTrail. */
export const ROLE_SESSION_NAME = 'berth-sagemaker';
/** Assumed-role credentials are renewed this long before they expire (long waits outlive them). */
const RENEW_BEFORE_MS = 5 * 60_000;

interface Destroyable {
  destroy(): void;
}

export class AwsClients {
  readonly region: string;
  readonly assumeRoleArn: string | undefined;
  readonly #clients = new Map<string, Promise<Loaded<Destroyable, unknown>>>();
  #credentials: AwsCredentialIdentityProvider | undefined;

  constructor(region: string, assumeRoleArn?: string) {
    this.region = region;
    this.assumeRoleArn = assumeRoleArn;
    // Every SDK client on Node 20 prints a nine-line notice that SDK releases after January 2027
    // will need Node 22. Berth pins its SDK versions exactly, so the notice is not about anything
    // this install will do; it is silenced unless the user set the SDK's own switch either way.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ||= 'true';
  }

  sagemaker(): Promise<Loaded<SageMakerClient, SageMakerSdk>> {
    return this.#load(
      'sagemaker',
      () => import('@aws-sdk/client-sagemaker'),
      (sdk, config) => new sdk.SageMakerClient(config),
    );
  }

  runtime(): Promise<Loaded<SageMakerRuntimeClient, RuntimeSdk>> {
    return this.#load(
      'runtime',
      () => import('@aws-sdk/client-sagemaker-runtime'),
      (sdk, config) => new sdk.SageMakerRuntimeClient(config),
    );
  }

  s3(): Promise<Loaded<S3Client, S3Sdk>> {
    return this.#load(
      's3',
      () => import('@aws-sdk/client-s3'),
      // S3-compatible and loopback endpoints (moto, MinIO) do not resolve bucket subdomains.
      (sdk, config) => new sdk.S3Client({ ...config, ...(s3EndpointConfigured() ? { forcePathStyle: true } : {}) }),
    );
  }

  sts(): Promise<Loaded<STSClient, StsSdk>> {
    return this.#load(
      'sts',
      () => import('@aws-sdk/client-sts'),
      (sdk, config) => new sdk.STSClient(config),
    );
  }

  iam(): Promise<Loaded<IAMClient, IamSdk>> {
    return this.#load(
      'iam',
      () => import('@aws-sdk/client-iam'),
      (sdk, config) => new sdk.IAMClient(config),
    );
  }

  ecr(): Promise<Loaded<ECRClient, EcrSdk>> {
    return this.#load(
      'ecr',
      () => import('@aws-sdk/client-ecr'),
      (sdk, config) => new sdk.ECRClient(config),
    );
  }

  cloudwatch(): Promise<Loaded<CloudWatchClient, CloudWatchSdk>> {
    return this.#load(
      'cloudwatch',
      () => import('@aws-sdk/client-cloudwatch'),
      (sdk, config) => new sdk.CloudWatchClient(config),
    );
  }

  /** Closes every client built so far (their sockets); later calls build new ones. */
  async destroy(): Promise<void> {
    const loaded = [...this.#clients.values()];
    this.#clients.clear();
    for (const settled of await Promise.allSettled(loaded)) {
      if (settled.status === 'fulfilled') settled.value.client.destroy();
    }
  }

  #load<Client extends Destroyable, Sdk>(
    key: string,
    importSdk: () => Promise<Sdk>,
    build: (sdk: Sdk, config: ClientConfig) => Client,
  ): Promise<Loaded<Client, Sdk>> {
    let loading = this.#clients.get(key) as Promise<Loaded<Client, Sdk>> | undefined;
    if (loading === undefined) {
      loading = importSdk().then((sdk) => ({ client: build(sdk, this.#clientConfig()), sdk }));
      // A failed import must not stay cached as the client for good.
      loading.catch(() => this.#clients.delete(key));
      this.#clients.set(key, loading as Promise<Loaded<Destroyable, unknown>>);
    }
    return loading;
  }

  #clientConfig(): ClientConfig {
    const config: ClientConfig = { region: this.region };
    if (this.assumeRoleArn !== undefined) config.credentials = this.#assumedRoleCredentials(this.assumeRoleArn);
    return config;
  }

  /**
   * STS AssumeRole with the caller's own credentials (the default chain), renewed before expiry.
   * Its STS client is a separate one: the role's clients must not sign with the role to get the role.
   */
  #assumedRoleCredentials(roleArn: string): AwsCredentialIdentityProvider {
    if (this.#credentials) return this.#credentials;
    let current: Promise<AwsCredentialIdentity> | undefined;
    let sts: Promise<Loaded<STSClient, StsSdk>> | undefined;
    const assume = async (): Promise<AwsCredentialIdentity> => {
      sts ??= import('@aws-sdk/client-sts').then((sdk) => ({
        client: new sdk.STSClient({ region: this.region }),
        sdk,
      }));
      const { client, sdk } = await sts;
      this.#clients.set('sts-base', sts as Promise<Loaded<Destroyable, unknown>>);
      try {
        const answer = await client.send(
          new sdk.AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: ROLE_SESSION_NAME }),
        );
        const credentials = answer.Credentials;
        if (!credentials?.AccessKeyId || !credentials.SecretAccessKey) {
          throw new Error('STS AssumeRole answered without credentials');
        }
        return {
          accessKeyId: credentials.AccessKeyId,
          secretAccessKey: credentials.SecretAccessKey,
          ...(credentials.SessionToken ? { sessionToken: credentials.SessionToken } : {}),
          ...(credentials.Expiration ? { expiration: credentials.Expiration } : {}),
        };
      } catch (error) {
        throw awsError(error, `Could not assume the role ${roleArn}`);
      }
    };
    this.#credentials = async () => {
      const held = current ? await current.catch(() => undefined) : undefined;
      const fresh =
        held !== undefined &&
        (held.expiration === undefined || held.expiration.getTime() - Date.now() > RENEW_BEFORE_MS);
      if (!fresh) {
        current = assume();
        current.catch(() => {
          current = undefined;
        });
      }
      return current as Promise<AwsCredentialIdentity>;
    };
    return this.#credentials;
  }
}

interface ClientConfig {
  region: string;
  credentials?: AwsCredentialIdentityProvider;
}

/** True when S3 calls go to a custom endpoint (the SDK reads the same variables). */
export function s3EndpointConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL);
}
