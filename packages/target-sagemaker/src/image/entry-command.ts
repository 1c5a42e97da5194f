/**
 * The entry command of Berth's SageMaker serving image, and the same command on this machine.
 * SageMaker starts a container as `docker run <image> serve`; the image's exec-form ENTRYPOINT is
 * node running `@berth/scoring-server`'s bin, so `serve` reaches it as its argument and SIGTERM
 * reaches node itself (PID 1), which drains in-flight requests.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the image installs its packages. */
export const IMAGE_APP_DIRECTORY = '/opt/berth';
export const SCORING_SERVER_PACKAGE = '@berth/scoring-server';
const BIN_IN_PACKAGE = 'dist/bin.js';
export const IMAGE_ENTRYPOINT = [
  'node',
  `${IMAGE_APP_DIRECTORY}/node_modules/${SCORING_SERVER_PACKAGE}/${BIN_IN_PACKAGE}`,
];
/** The argument SageMaker passes (`docker run <image> serve`). */
export const SAGEMAKER_COMMAND = 'serve';

interface Manifest {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
}

/** This package's own manifest, found by walking up from this module (its depth differs in dist/ and src/). */
export function ownManifest(): Manifest & { directory: string } {
  let directory = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = path.join(directory, 'package.json');
    if (existsSync(file)) {
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
      if (manifest.name === '@berth/target-sagemaker') return { ...manifest, directory };
    }
    const parent = path.dirname(directory);
    if (parent === directory) throw new Error('cannot find the package.json of @berth/target-sagemaker');
    directory = parent;
  }
}

/** The installed `@berth/scoring-server` (the one the image pins): its directory and version. */
export function installedScoringServer(): { directory: string; version: string; bin: string } {
  const require = createRequire(path.join(ownManifest().directory, 'package.json'));
  const manifestPath = require.resolve(`${SCORING_SERVER_PACKAGE}/package.json`);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  const directory = path.dirname(manifestPath);
  return { directory, version: manifest.version, bin: path.join(directory, BIN_IN_PACKAGE) };
}

/** Versions of the first-party packages the image installs, as installed beside this package. */
export function firstPartyVersions(): Record<string, string> {
  const server = installedScoringServer();
  const require = createRequire(path.join(server.directory, 'package.json'));
  const versions: Record<string, string> = { [SCORING_SERVER_PACKAGE]: server.version };
  for (const name of ['@berth/model', '@berth/core']) {
    versions[name] = (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as Manifest).version;
  }
  return versions;
}

/**
 * The image's ENTRYPOINT + `serve`, with the image's paths replaced by where the same files are
 * on this machine: what `runLocal` and the tests run instead of `docker run`.
 */
export function localEntryCommand(entrypoint: readonly string[] = IMAGE_ENTRYPOINT): {
  command: string;
  args: string[];
} {
  const [program, ...rest] = entrypoint;
  if (program !== 'node') throw new Error(`the image's entrypoint must start with node; got ${program}`);
  const prefix = `${IMAGE_APP_DIRECTORY}/node_modules/${SCORING_SERVER_PACKAGE}/`;
  const server = installedScoringServer();
  const args = rest.map((argument) =>
    argument.startsWith(prefix) ? path.join(server.directory, argument.slice(prefix.length)) : argument,
  );
  return { command: process.execPath, args: [...args, SAGEMAKER_COMMAND] };
}
