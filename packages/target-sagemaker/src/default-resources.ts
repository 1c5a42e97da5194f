import { BerthError } from '@berth/core';
import type { AwsClients } from './aws-clients.js';
import { awsError, errorName, httpStatusOf, isNotFound } from './aws-errors.js';

/**
 * What a deployment needs and MLflow finds when the config leaves it out: the caller's account,
 * the execution role (the caller's own role), the default bucket (created if missing). Each is
 * looked up once per target client.
 */
export class DefaultResources {
  readonly #clients: AwsClients;
  #identity: Promise<{ account: string; arn: string }> | undefined;

  constructor(clients: AwsClients) {
    this.#clients = clients;
  }

  /** STS GetCallerIdentity, once. */
  identity(): Promise<{ account: string; arn: string }> {
    this.#identity ??= (async () => {
      const { client, sdk } = await this.#clients.sts();
      try {
        const answer = await client.send(new sdk.GetCallerIdentityCommand({}));
        if (!answer.Account || !answer.Arn) throw new Error('GetCallerIdentity answered without Account or Arn');
        return { account: answer.Account, arn: answer.Arn };
      } catch (error) {
        throw awsError(error, 'Could not find out which AWS account the credentials belong to (STS GetCallerIdentity)');
      }
    })();
    this.#identity.catch(() => {
      this.#identity = undefined;
    });
    return this.#identity;
  }

  /**
   * MLflow's `_get_assumed_role_arn`: the role in the caller's identity ARN
   * (`arn:aws:sts::123:assumed-role/<role>/<session>`), resolved to its full ARN with IAM GetRole.
   * An IAM user or the root user has no role to hand SageMaker; MLflow fails there with a confusing
   * NoSuchEntity, Berth says what to pass instead.
   */
  async executionRoleArn(): Promise<string> {
    const { arn, account } = await this.identity();
    const resource = arn.split(':').slice(5).join(':');
    const [kind, ...rest] = resource.split('/');
    if (kind !== 'assumed-role' && kind !== 'role') {
      const who =
        kind === 'user' ? `the IAM user '${rest.at(-1)}'` : kind === 'root' ? 'the root user' : `'${resource}'`;
      throw BerthError.invalidParameterValue(
        `No execution role was given and the AWS caller (${arn}) is ${who}, not a role, so there is no current role to run the model with. SageMaker needs an IAM role it can assume.`,
        {
          suggestions: [
            `Pass -C execution_role_arn=arn:aws:iam::${account}:role/<role> (a role trusted by sagemaker.amazonaws.com, e.g. with AmazonSageMakerFullAccess).`,
            'Or run Berth with a role (an AWS_PROFILE with role_arn, or the target URI sagemaker:/<region>/<role-arn>).',
          ],
        },
      );
    }
    const roleName = kind === 'assumed-role' ? rest[0] : rest.at(-1);
    if (!roleName) throw BerthError.invalidParameterValue(`Cannot read a role name from the caller ARN ${arn}.`);
    const { client, sdk } = await this.#clients.iam();
    try {
      const answer = await client.send(new sdk.GetRoleCommand({ RoleName: roleName }));
      if (!answer.Role?.Arn) throw new Error(`GetRole answered without the ARN of '${roleName}'`);
      return answer.Role.Arn;
    } catch (error) {
      const wrapped = awsError(
        error,
        `Could not find the execution role '${roleName}' of the caller ${arn} (IAM GetRole)`,
      );
      wrapped.suggestions.push('Pass the role SageMaker should run the model with: -C execution_role_arn=<role ARN>.');
      throw wrapped;
    }
  }

  /** MLflow's `_get_default_s3_bucket`: `mlflow-sagemaker-{region}-{account}`, created when missing. */
  async bucket(region: string): Promise<string> {
    const { account } = await this.identity();
    const name = `mlflow-sagemaker-${region}-${account}`;
    const { client, sdk } = await this.#clients.s3();
    try {
      await client.send(new sdk.HeadBucketCommand({ Bucket: name }));
      return name;
    } catch (error) {
      if (httpStatusOf(error) === 403 || errorName(error) === 'Forbidden') {
        throw new BerthError(
          `The default bucket ${name} exists but these credentials may not use it (HeadBucket: 403).`,
          { code: 'PERMISSION_DENIED', cause: error, suggestions: ['Pass another bucket with -C bucket=<name>.'] },
        );
      }
      if (!isNotFound(error) && httpStatusOf(error) !== 404) {
        throw awsError(error, `Could not check the default bucket ${name}`);
      }
    }
    try {
      await client.send(
        new sdk.CreateBucketCommand({
          Bucket: name,
          ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as never } }),
        }),
      );
    } catch (error) {
      // Created meanwhile by another deploy: fine.
      if (errorName(error) !== 'BucketAlreadyOwnedByYou') {
        throw awsError(error, `Could not create the default bucket ${name} in ${region}`);
      }
    }
    return name;
  }
}
