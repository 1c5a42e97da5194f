import { BerthError } from '@berth/core';

/** MLflow's `DEFAULT_REGION_NAME`, used when neither the URI nor the AWS SDK's configuration names one. */
export const DEFAULT_REGION_NAME = 'us-west-2';

export interface SageMakerTargetUri {
  /** The region in the URI; undefined for `sagemaker` and `sagemaker:/` (the default applies). */
  regionName?: string;
  /** The role in `sagemaker:/region/role-arn`: assumed (STS AssumeRole) for every AWS call. */
  assumeRoleArn?: string;
}

/**
 * `sagemaker`, `sagemaker:/region`, `sagemaker:/region/role-arn`, parsed as MLflow does: the path
 * after the scheme with slashes stripped from both ends; its first segment is the region, the rest
 * (extra slashes dropped from its start) the role ARN, so ARNs that contain `/` survive.
 */
export function parseSageMakerTargetUri(targetUri: string): SageMakerTargetUri {
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:/.exec(targetUri);
  if (scheme === null) return {};
  let rest = targetUri.slice(scheme[0].length);
  // urlparse puts `//host` in the netloc; MLflow reads only the path, so `sagemaker://x` keeps the defaults.
  if (rest.startsWith('//')) {
    const pathStart = rest.indexOf('/', 2);
    rest = pathStart < 0 ? '' : rest.slice(pathStart);
  }
  const values = stripSlashes(rest.split(/[?#]/, 1)[0] ?? '');
  if (values === '') return {};
  const separator = values.indexOf('/');
  const regionName = separator < 0 ? values : values.slice(0, separator);
  if (regionName.startsWith('arn')) {
    throw BerthError.invalidParameterValue(
      `It looks like the target_uri contains an IAM role ARN without a region name.\nA region name must be provided when the target_uri contains a role ARN.\nIn this case, the target_uri must follow the format: sagemaker:/region_name/assumed_role_arn.\nThe provided target_uri is: ${targetUri}\n`,
      { suggestions: ['Write the region first, e.g. sagemaker:/us-east-1/arn:aws:iam::123456789012:role/deployer'] },
    );
  }
  if (separator < 0) return { regionName };
  const assumeRoleArn = values.slice(separator + 1).replace(/^\/+/, '');
  return assumeRoleArn === '' ? { regionName } : { regionName, assumeRoleArn };
}

function stripSlashes(value: string): string {
  return value.replace(/^\/+/, '').replace(/\/+$/, '');
}
