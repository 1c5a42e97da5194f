declare const __SCAFFOLD_VERSIONS__: Record<string, string>;

/**
 * What a scaffolded package pins: Berth's own packages at the versions released with this
 * create-berth-target, and the project's toolchain (read from the repository at build time by
 * versions.config.ts).
 */
export const SCAFFOLD_VERSIONS: Readonly<Record<string, string>> = __SCAFFOLD_VERSIONS__;

export function versionOf(name: string): string {
  const version = SCAFFOLD_VERSIONS[name];
  if (!version) throw new Error(`create-berth-target was built without a version for ${name}`);
  return version;
}
