import { createRequire } from 'node:module';
import { BerthError } from '@berth/core';
import type { AwsClients } from './aws-clients.js';
import { awsError, isNotFound } from './aws-errors.js';
import { MLFLOW_IMAGE_FLAVOR, usesBerthImage } from './model-package.js';

/**
 * The container a deployment runs, and its environment. Two images:
 * - Berth's (`onnx`, `js`): `BERTH_SAGEMAKER_IMAGE_URL`, else the ECR repository
 *   `berth-scoring-server` in the account and region, tagged with this package's version;
 * - MLflow's (`python_function`): `MLFLOW_SAGEMAKER_DEPLOY_IMG_URL`, else the ECR repository
 *   `mlflow-pyfunc` tagged with the MLflow version that saved the model (MLflow tags it with its
 *   own version; Berth has none, and the model's is the one it was built for).
 */

export const BERTH_IMAGE_REPOSITORY = 'berth-scoring-server';
export const MLFLOW_IMAGE_REPOSITORY = 'mlflow-pyfunc';
export const BERTH_IMAGE_ENV = 'BERTH_SAGEMAKER_IMAGE_URL';
export const MLFLOW_IMAGE_ENV = 'MLFLOW_SAGEMAKER_DEPLOY_IMG_URL';
/** The command that writes the build context of Berth's image and prints how to build and push it. */
export const BUILD_IMAGE_COMMAND = 'npx berth-sagemaker image --out ./berth-image';

/** This package's version: the tag of Berth's serving image that matches this client. */
export function berthImageTag(): string {
  const manifest = createRequire(import.meta.url)('../package.json') as { version: string };
  return manifest.version;
}

export async function resolveImageUrl(
  clients: AwsClients,
  flavor: string,
  mlflowVersion: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const berth = usesBerthImage(flavor);
  const fromEnv = env[berth ? BERTH_IMAGE_ENV : MLFLOW_IMAGE_ENV];
  if (fromEnv) return fromEnv;
  const repository = berth ? BERTH_IMAGE_REPOSITORY : MLFLOW_IMAGE_REPOSITORY;
  let tag: string;
  if (berth) {
    tag = berthImageTag();
  } else if (mlflowVersion) {
    tag = mlflowVersion;
  } else {
    throw BerthError.invalidParameterValue(
      `The model's MLmodel does not say which MLflow version saved it, so the tag of the '${MLFLOW_IMAGE_REPOSITORY}' image is unknown.`,
      {
        suggestions: [
          `Pass -C image_url=<account>.dkr.ecr.<region>.amazonaws.com/${MLFLOW_IMAGE_REPOSITORY}:<version> or set ${MLFLOW_IMAGE_ENV}.`,
        ],
      },
    );
  }
  const { client, sdk } = await clients.ecr();
  try {
    const answer = await client.send(new sdk.DescribeRepositoriesCommand({ repositoryNames: [repository] }));
    const uri = answer.repositories?.[0]?.repositoryUri;
    if (!uri) throw Object.assign(new Error(`no repository ${repository}`), { name: 'RepositoryNotFoundException' });
    return `${uri}:${tag}`;
  } catch (error) {
    if (!isNotFound(error)) throw awsError(error, `Could not look up the ECR repository '${repository}'`);
    throw new BerthError(
      berth
        ? `Berth's serving image is not in ECR: there is no repository '${repository}' in ${clients.region} for these credentials. Flavor '${flavor}' models run in it.`
        : `MLflow's serving image is not in ECR: there is no repository '${repository}' in ${clients.region} for these credentials. Flavor '${MLFLOW_IMAGE_FLAVOR}' models run in it.`,
      {
        code: 'RESOURCE_DOES_NOT_EXIST',
        cause: error,
        suggestions: berth
          ? [
              `Build and push it: \`${BUILD_IMAGE_COMMAND}\` writes the build context and prints the docker build and ECR push commands (tag ${tag}).`,
              `Or pass -C image_url=<image URI>, or set ${BERTH_IMAGE_ENV}.`,
            ]
          : [
              'Build and push it with MLflow: `mlflow sagemaker build-and-push-container`.',
              `Or pass -C image_url=<image URI>, or set ${MLFLOW_IMAGE_ENV}.`,
            ],
      },
    );
  }
}

/**
 * The container's environment, as MLflow builds it (`_get_deployment_config`): the flavor and
 * `SERVING_ENVIRONMENT`, then the user's `env` on top, then this machine's proxy variables.
 * A `js` model runs its own code in the container, which Berth's image does only when told to:
 * deploying it is that decision.
 */
export function containerEnvironment(
  flavor: string,
  userEnv: Record<string, string | number | boolean> | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const environment: Record<string, string> = {
    MLFLOW_DEPLOYMENT_FLAVOR_NAME: flavor,
    SERVING_ENVIRONMENT: 'SageMaker',
  };
  if (flavor === 'js') environment.BERTH_ALLOW_CODE = 'true';
  for (const [key, value] of Object.entries(userEnv ?? {})) environment[key] = String(value);
  for (const proxy of ['http_proxy', 'https_proxy', 'no_proxy']) {
    const value = env[proxy];
    if (value) environment[proxy] = value;
  }
  return environment;
}
