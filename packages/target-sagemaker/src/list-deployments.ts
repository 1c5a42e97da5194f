import type { SageMakerDeployment } from './deployment-view.js';
import { summaryView } from './deployment-view.js';
import { leanListEndpoints, leanTarget } from './lean-list.js';
import { resolveRegion } from './region.js';
import { parseSageMakerTargetUri } from './sagemaker-target-uri.js';

/**
 * `berth list -t sagemaker…` on the CLI's lean path, built on its own into
 * `dist/list-deployments.cjs` (exported as `@berth/target-sagemaker/list-deployments`) for
 * `bin/berth.cjs`: the same ListEndpoints pages and the same items as
 * `SageMakerDeploymentClient.listDeployments()`, without the target's entry module, zod, the CLI's
 * ESM code or any AWS SDK module.
 *
 * Resolves to undefined — the full client then answers — whenever only the SDK can resolve the
 * credentials or the endpoint (a role in the URI, SSO, a credential process, instance metadata, a
 * configured endpoint in the config file…: see `leanTarget`). An AWS error rejects, and the full
 * client then reports it the usual way.
 */
export async function listDeployments(targetUri: string): Promise<SageMakerDeployment[] | undefined> {
  const uri = parseSageMakerTargetUri(targetUri);
  if (uri.assumeRoleArn !== undefined) return undefined;
  const region = await resolveRegion(uri.regionName);
  const target = await leanTarget(region);
  if (target === undefined) return undefined;
  const summaries = await leanListEndpoints(region, target);
  return summaries.map((summary) => summaryView(region, summary));
}
