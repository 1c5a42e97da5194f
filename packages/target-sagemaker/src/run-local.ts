import { BerthError, type TargetConfig } from '@berth/core';

/**
 * Placeholder until the container contract without Docker lands (it extracts the tarball that
 * create would upload into an `/opt/ml/model`-shaped folder and runs the image's entry command).
 */
export async function runLocal(
  _name: string,
  _modelUri: string,
  _flavor?: string,
  _config: TargetConfig = {},
): Promise<void> {
  throw new BerthError('run-local is not implemented yet for the sagemaker target.', {
    code: 'NOT_IMPLEMENTED',
    suggestions: ["Use 'berth run-local -t local' to serve the model on this machine meanwhile."],
  });
}
