import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolvePackageEntry } from './package-entry.js';
import { type PackageManifest, readManifest } from './package-manifest.js';
import { makeTempDirectory, removeTempDirectories, writePackage } from './testing/package-fixtures.js';

afterEach(removeTempDirectories);

async function manifestWith(fields: Record<string, unknown>, files: string[] = []) {
  const directory = await makeTempDirectory('entry');
  await writePackage(
    directory,
    { name: 'pkg', version: '1.0.0', ...fields },
    Object.fromEntries(files.map((f) => [f, ''])),
  );
  const { manifest } = await readManifest(directory);
  return { directory, manifest: manifest as PackageManifest };
}

describe('resolvePackageEntry', () => {
  it('follows exports with conditions, in the order Node matches them for import', async () => {
    const { directory, manifest } = await manifestWith({
      exports: {
        '.': { types: './dist/index.d.ts', require: './dist/index.cjs', import: './dist/index.js' },
        './server': [{ node: { import: './dist/server.js' } }, './fallback.js'],
        './targets/*': { default: './dist/targets/*.js' },
        './package.json': './package.json',
      },
    });
    expect(await resolvePackageEntry(directory, manifest, '.')).toBe(join(directory, 'dist/index.js'));
    expect(await resolvePackageEntry(directory, manifest, './server')).toBe(join(directory, 'dist/server.js'));
    expect(await resolvePackageEntry(directory, manifest, 'targets/alpha')).toBe(
      join(directory, 'dist/targets/alpha.js'),
    );
  });

  it('reads a string or conditions-only exports field as the "." entry', async () => {
    const asString = await manifestWith({ exports: './main.js' });
    expect(await resolvePackageEntry(asString.directory, asString.manifest, '.')).toBe(
      join(asString.directory, 'main.js'),
    );
    const conditions = await manifestWith({ exports: { import: './esm.js', require: './cjs.cjs' } });
    expect(await resolvePackageEntry(conditions.directory, conditions.manifest, '.')).toBe(
      join(conditions.directory, 'esm.js'),
    );
  });

  it('falls back to main, index.js, or a declared file when there are no exports', async () => {
    const withMain = await manifestWith({ main: 'lib/entry.js' }, ['lib/entry.js']);
    expect(await resolvePackageEntry(withMain.directory, withMain.manifest, '.')).toBe(
      join(withMain.directory, 'lib/entry.js'),
    );
    const bare = await manifestWith({}, ['index.js', 'extra/target.js']);
    expect(await resolvePackageEntry(bare.directory, bare.manifest, '.')).toBe(join(bare.directory, 'index.js'));
    expect(await resolvePackageEntry(bare.directory, bare.manifest, './extra/target')).toBe(
      join(bare.directory, 'extra/target.js'),
    );
  });

  it('says which package and entry cannot be resolved', async () => {
    const { directory, manifest } = await manifestWith({ exports: { '.': { require: './x.cjs' } } });
    await expect(resolvePackageEntry(directory, manifest, './missing')).rejects.toThrow(
      `Package pkg declares the entry "./missing", but its "exports" do not provide it for import (looked in ${directory}).`,
    );
  });
});
