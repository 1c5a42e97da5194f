#!/usr/bin/env node
// Checks packed packages as npm would receive them: the package.json inside each tarball, not the
// one in the workspace.
//
//   node scripts/ci/check-packed.mjs                 pack every packages/* with pnpm, check each tarball
//   node scripts/ci/check-packed.mjs <dir|.tgz>...   check these package folders (packed here) or tarballs
//
// Per package: no `workspace:` or `catalog:` range left in any dependency field (npm cannot install
// them); every file that main/types/bin/exports names is in the tarball (`files` is complete); every
// deploymentTargets/datasetSources entry is an exported subpath; and those declarations are valid
// against @berth/core's schema.json. One line per failure, exit 1 if there is any.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';

const repository = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const schema = JSON.parse(readFileSync(join(repository, 'packages/core/schema.json'), 'utf8'));
const validateBerthFields = new Ajv2020({ allErrors: true, strict: true }).compile(schema);

const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'];
const PNPM_ONLY_PROTOCOLS = ['workspace:', 'catalog:'];

/** Runs pnpm: the one on PATH (under `npx pnpm` / `pnpm run`), else through npx at the repository's pin. */
function pnpm(args, cwd) {
  let result = spawnSync('pnpm', args, { cwd, encoding: 'utf8' });
  if (result.error?.code === 'ENOENT')
    result = spawnSync('npx', ['-y', 'pnpm@12.4.2', ...args], { cwd, encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(
      `pnpm ${args.join(' ')} in ${cwd} failed (exit ${result.status}):\n${result.stdout}${result.stderr}`,
    );
  }
  return result.stdout;
}

function tarballsIn(directory) {
  return readdirSync(directory)
    .filter((name) => name.endsWith('.tgz'))
    .map((name) => join(directory, name));
}

/** Every file under `directory`, as a package-relative path with '/' separators. */
function listFiles(directory, prefix = '') {
  const files = [];
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...listFiles(join(directory, entry.name), path));
    else files.push(path);
  }
  return files;
}

const normalise = (path) => path.replace(/^\.\//, '').replace(/\/$/, '');

/** The string leaves of an `exports` value, with the subpath that leads to each. */
function exportTargets(value, subpath = '.') {
  if (typeof value === 'string') return [{ subpath, target: value }];
  if (Array.isArray(value)) return value.flatMap((item) => exportTargets(item, subpath));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) => exportTargets(item, key.startsWith('.') ? key : subpath));
  }
  return []; // null: an excluded subpath
}

function exportedSubpaths(exports) {
  if (exports === undefined) return ['.'];
  if (typeof exports === 'string' || Array.isArray(exports)) return ['.'];
  const keys = Object.keys(exports);
  return keys.some((key) => key.startsWith('.')) ? keys : ['.']; // conditions only: the root subpath
}

/** Checks one unpacked package; returns failure messages. */
export function checkManifest(manifest, files) {
  const failures = [];
  const inTarball = new Set(files);

  for (const field of DEPENDENCY_FIELDS) {
    for (const [name, range] of Object.entries(manifest[field] ?? {})) {
      const protocol = PNPM_ONLY_PROTOCOLS.find((prefix) => String(range).startsWith(prefix));
      if (protocol) {
        failures.push(
          `${field}.${name} is "${range}": a ${protocol} range npm cannot install; pack with pnpm (it rewrites them) or set a version`,
        );
      }
    }
  }

  const named = [];
  for (const field of ['main', 'module', 'types', 'typings']) {
    if (typeof manifest[field] === 'string') named.push({ where: field, target: manifest[field] });
  }
  if (typeof manifest.bin === 'string') named.push({ where: 'bin', target: manifest.bin });
  for (const [command, target] of Object.entries(typeof manifest.bin === 'object' ? (manifest.bin ?? {}) : {})) {
    named.push({ where: `bin.${command}`, target });
  }
  for (const { subpath, target } of exportTargets(manifest.exports)) {
    named.push({ where: `exports["${subpath}"]`, target });
  }
  for (const { where, target } of named) {
    const path = normalise(target);
    const present = path.includes('*')
      ? files.some((file) => new RegExp(`^${path.split('*').map(escapeRegExp).join('.+')}$`).test(file))
      : inTarball.has(path) || files.some((file) => file.startsWith(`${path}/`));
    if (!present) {
      failures.push(`${where} names ${target}, which is not in the tarball: add it to "files" or build before packing`);
    }
  }

  const subpaths = new Set(exportedSubpaths(manifest.exports));
  for (const field of ['deploymentTargets', 'datasetSources']) {
    for (const [name, declaration] of Object.entries(manifest[field] ?? {})) {
      const entry = typeof declaration === 'string' ? declaration : (declaration?.entry ?? '.');
      if (typeof entry === 'string' && !subpaths.has(entry)) {
        failures.push(
          `${field}.${name} has entry "${entry}", which is not a subpath of "exports" (${[...subpaths].join(', ')})`,
        );
      }
    }
  }
  if (!validateBerthFields(manifest)) {
    for (const error of validateBerthFields.errors ?? []) {
      if (error.keyword === 'propertyNames') continue; // its cause, naming the key, is reported just before
      const at = error.instancePath.slice(1).replaceAll('/', '.') || '(package.json)';
      const key = error.propertyName === undefined ? '' : ` key "${error.propertyName}"`;
      failures.push(`${at}${key} ${error.message}, by @berth/core/schema.json`);
    }
  }
  return failures;
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function checkTarball(tarball, scratch) {
  const into = mkdtempSync(join(scratch, 'unpacked-'));
  const untar = spawnSync('tar', ['-xzf', tarball, '-C', into], { encoding: 'utf8' });
  if (untar.status !== 0) return { name: basename(tarball), failures: [`cannot unpack: ${untar.stderr.trim()}`] };
  const root = join(into, 'package');
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  } catch (error) {
    return { name: basename(tarball), failures: [`package/package.json unreadable: ${error.message}`] };
  }
  return {
    name: manifest.name ?? basename(tarball),
    private: manifest.private === true,
    failures: checkManifest(manifest, listFiles(root)),
  };
}

function main(args) {
  const scratch = mkdtempSync(join(tmpdir(), 'berth-check-packed-'));
  try {
    const tarballs = [];
    if (args.length === 0) {
      const destination = mkdtempSync(join(scratch, 'packed-'));
      pnpm(['-r', '--filter', './packages/*', 'pack', '--pack-destination', destination], repository);
      tarballs.push(...tarballsIn(destination));
    }
    for (const argument of args) {
      if (statSync(argument).isDirectory()) {
        const destination = mkdtempSync(join(scratch, 'packed-'));
        pnpm(['pack', '--pack-destination', destination], argument);
        tarballs.push(...tarballsIn(destination));
      } else tarballs.push(resolve(argument));
    }
    let failed = 0;
    let checked = 0;
    for (const tarball of tarballs) {
      const { name, private: isPrivate, failures } = checkTarball(tarball, scratch);
      if (isPrivate) continue;
      checked += 1;
      for (const failure of failures) console.log(`FAIL ${name}: ${failure}`);
      if (failures.length > 0) failed += 1;
    }
    if (checked === 0) {
      console.log('FAIL no published package was checked');
      return 1;
    }
    console.log(`check-packed: ${checked - failed} of ${checked} packed packages OK`);
    return failed === 0 ? 0 : 1;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] && relative(process.argv[1], fileURLToPath(import.meta.url)) === '') {
  process.exitCode = main(process.argv.slice(2));
}
