import type { Deployment } from '@berth/core';
import { describeDeployment, needsRecovery } from './live-status.js';
import { readDeployments } from './state/state-reader.js';
import { stateDirectoryFor } from './state-directory.js';

/**
 * `berth list -t local` on its lean path, built on its own into `dist/list-deployments.cjs` (one
 * CommonJS file, exported as `@berth/target-local/list-deployments`) for the CLI's `bin/berth.cjs`:
 * the state rows through a read-only connection and each deployment's live health, by the same
 * functions `LocalDeploymentClient.listDeployments` reports with (`live-status.ts`). It does not
 * load the client, the model package, zod, fetch or node:child_process.
 *
 * Resolves to undefined when the full client must answer: when there is no state file yet, when
 * the state cannot be read as it is (see `readDeployments`), and when a deployment needs recovery
 * (its supervisor is gone) — `list` restarts those in the background, which the lean path does not.
 */
export async function listDeployments(targetUri: string): Promise<Deployment[] | undefined> {
  const records = readDeployments(stateDirectoryFor(targetUri));
  if (records === undefined) return undefined;
  const now = Date.now();
  if (records.some((record) => needsRecovery(record, now))) return undefined;
  return Promise.all(records.map(describeDeployment));
}
