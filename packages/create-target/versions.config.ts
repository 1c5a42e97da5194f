import { readFileSync } from 'node:fs';

/**
 * The versions a scaffolded package pins, read from this repository when create-berth-target is
 * built (and when its tests run), so they follow the project's toolchain and its own releases
 * instead of a copy kept by hand.
 */
function manifest(path: string): Record<string, Record<string, string>> & { version: string } {
  return JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8'));
}

export function scaffoldVersions(): Record<string, string> {
  const root = manifest('../../package.json');
  const tools = root.devDependencies as Record<string, string>;
  const pick = (name: string) => {
    const version = tools[name];
    if (!version) throw new Error(`the root package.json pins no ${name}`);
    return version;
  };
  return {
    '@berth/core': manifest('../core/package.json').version,
    '@berth/cli': manifest('../cli/package.json').version,
    '@berth/testkit': manifest('../testkit/package.json').version,
    zod: manifest('../core/package.json').devDependencies?.zod ?? '',
    '@arethetypeswrong/cli': pick('@arethetypeswrong/cli'),
    '@biomejs/biome': pick('@biomejs/biome'),
    '@changesets/cli': pick('@changesets/cli'),
    '@types/node': pick('@types/node'),
    publint: pick('publint'),
    tsup: pick('tsup'),
    typescript: pick('typescript'),
    vitest: pick('vitest'),
  };
}

export function versionDefinitions(): Record<string, string> {
  return {
    __SCAFFOLD_VERSIONS__: JSON.stringify(scaffoldVersions()),
    __CREATE_BERTH_TARGET_VERSION__: JSON.stringify(manifest('./package.json').version),
  };
}
