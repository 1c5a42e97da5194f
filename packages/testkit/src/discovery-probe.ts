import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { DiscoveryOptions } from '@berth/core/registry';

/**
 * A throw-away project that depends on the target package (linked into its node_modules, as an
 * install would leave it), with an empty BERTH_HOME and no core to look beside: discovery run
 * from it can only find the target through the package's own package.json.
 */
export interface DiscoveryProbe {
  packageName: string;
  manifest: Record<string, unknown>;
  /** Options for listTargets/loadTarget that look at this project only. */
  discovery: Required<DiscoveryOptions>;
  remove(): Promise<void>;
}

export async function createDiscoveryProbe(packageDir: string): Promise<DiscoveryProbe> {
  const directory = resolve(packageDir);
  const manifestText = await readFile(join(directory, 'package.json'), 'utf8').catch((error: Error) => {
    throw new Error(`packageDir ${directory} has no readable package.json (${error.message}).`);
  });
  const manifest = JSON.parse(manifestText) as Record<string, unknown>;
  const packageName = typeof manifest.name === 'string' ? manifest.name : '';
  if (!packageName) throw new Error(`The package.json in ${directory} has no "name"; npm needs one to install it.`);
  const root = await mkdtemp(join(tmpdir(), 'berth-testkit-probe-'));
  const project = join(root, 'project');
  const linked = join(project, 'node_modules', packageName);
  await mkdir(dirname(linked), { recursive: true });
  await symlink(directory, linked, 'dir');
  await writeFile(
    join(project, 'package.json'),
    `${JSON.stringify({ name: 'berth-testkit-probe', private: true, dependencies: { [packageName]: '*' } }, null, 2)}\n`,
  );
  await mkdir(join(root, 'home'));
  return {
    packageName,
    manifest,
    discovery: { cwd: project, berthHome: join(root, 'home'), corePath: join(root, 'no-core') },
    remove: () => rm(root, { recursive: true, force: true }),
  };
}
