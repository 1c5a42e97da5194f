import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Deployment, parseTargetUri } from '@berth/core';
import { type DiscoveryOptions, getDeploymentsTarget, listTargets } from '@berth/core/registry';
import type { JsonOption } from './cli-output.js';
import { printDeployments } from './commands/deployment-list-output.js';

/**
 * `berth list [-t <uri>] [--json]` for `bin/berth.cjs`, built on its own into `dist/list.cjs`: when
 * the package that provides the target (found by core's discovery, as the full CLI finds it) offers
 * a lean list, the deployments come from it and are printed by the full command's own printer —
 * without commander, the ESM loader or the target's client. A target offers one as the
 * `./list-deployments` export of its package: a CommonJS module whose
 * `listDeployments(targetUri)` resolves to the deployments, or to undefined when the full client
 * must answer. `@berth/target-local` does (see its `src/lean-list.ts`).
 *
 * Resolves false, having printed nothing, whenever the full CLI must answer instead: no target
 * given, no such target, no lean list, the lean list declined or failed. The full CLI then says
 * what is wrong the usual way.
 */
export async function listDeployments(options: ListOptions, discovery: DiscoveryOptions = {}): Promise<boolean> {
  let deployments: Deployment[] | undefined;
  let targetUri: string;
  try {
    targetUri = options.target ?? getDeploymentsTarget();
    const name = parseTargetUri(targetUri);
    const { targets } = await listTargets(discovery);
    const found = targets.find((target) => target.name === name);
    const lean = found?.packageDir === undefined ? undefined : leanList(found.packageDir);
    deployments = await lean?.listDeployments(targetUri);
  } catch {
    return false;
  }
  if (!Array.isArray(deployments)) return false;
  await printDeployments(deployments, options, targetUri);
  return true;
}

export interface ListOptions extends JsonOption {
  target?: string | undefined;
}

interface LeanList {
  listDeployments(targetUri: string): Promise<Deployment[] | undefined>;
}

/** The package's `./list-deployments` export, when it has one (a path, or a `require`/`default` condition). */
function leanList(packageDir: string): LeanList | undefined {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { exports?: unknown };
  const exports = manifest.exports as Record<string, unknown> | undefined;
  let entry = exports?.['./list-deployments'];
  if (entry !== null && typeof entry === 'object') {
    const conditions = entry as Record<string, unknown>;
    entry = conditions.require ?? conditions.default;
  }
  if (typeof entry !== 'string' || !entry.startsWith('./')) return undefined;
  const module = require(join(packageDir, entry)) as Partial<LeanList>;
  return typeof module.listDeployments === 'function' ? (module as LeanList) : undefined;
}
