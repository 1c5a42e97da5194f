#!/usr/bin/env node
// The public API of every published package, recorded with API Extractor from the built .d.ts of
// each `exports` entry point, one report per entry in api/ (api/core.api.md, api/core-registry.api.md …).
//
//   node scripts/api-report.mjs            check: exit 1, naming the package, when a build's API differs from its report
//   node scripts/api-report.mjs --update   rewrite the reports (`pnpm api:update`); review the diff, commit it
//   --packages <dir>  --reports <dir>      other folders (the self-test uses a temporary package)
//
// Needs a build first (the reports are of dist/*.d.ts, what a user's compiler sees).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';

const repository = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function option(args, name, fallback) {
  const index = args.indexOf(name);
  return index === -1 ? fallback : resolve(args[index + 1]);
}

/** The `types` file of each subpath of `exports` that has one (`.` first). */
function typedEntries(manifest) {
  const entries = [];
  const exports = manifest.exports ?? {};
  for (const [subpath, target] of Object.entries(exports)) {
    const types = typeof target === 'object' && target !== null ? target.types : undefined;
    if (typeof types === 'string') entries.push({ subpath, types });
  }
  if (entries.length === 0 && typeof manifest.types === 'string') entries.push({ subpath: '.', types: manifest.types });
  return entries;
}

/** `@berth/core` + `./registry` → `core-registry`. */
function reportName(packageName, subpath) {
  const base = packageName.replace(/^@[^/]+\//, '');
  const rest = subpath === '.' ? '' : `-${subpath.replace(/^\.\//, '').replaceAll('/', '-')}`;
  return `${base}${rest}`;
}

function extract({ directory, manifest, subpath, types, reports, temporary, update }) {
  const name = reportName(manifest.name, subpath);
  const entry = join(directory, types);
  if (!existsSync(entry)) {
    return { name, problem: `${manifest.name} (${subpath}): ${types} is missing; build first (pnpm build)` };
  }
  const config = ExtractorConfig.prepare({
    configObject: {
      projectFolder: directory,
      mainEntryPointFilePath: entry,
      bundledPackages: [],
      compiler: {
        overrideTsconfig: {
          compilerOptions: {
            target: 'ES2022',
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            strict: true,
            skipLibCheck: true,
            // Node's types from the repository root, wherever the package folder is (the self-test's is in /tmp).
            types: ['node'],
            typeRoots: [join(repository, 'node_modules/@types')],
          },
          files: [entry],
        },
      },
      // Types an export refers to but does not export are in the report too, so a change to them shows.
      apiReport: {
        enabled: true,
        reportFileName: name,
        reportFolder: reports,
        reportTempFolder: temporary,
        includeForgottenExports: true,
      },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      newlineKind: 'lf',
      messages: {
        // The report is the point; release tags and TSDoc style are not checked here.
        compilerMessageReporting: { default: { logLevel: 'error' } },
        extractorMessageReporting: {
          default: { logLevel: 'none', addToApiReportFile: false },
        },
        tsdocMessageReporting: { default: { logLevel: 'none' } },
      },
    },
    configObjectFullPath: undefined,
    packageJsonFullPath: join(directory, 'package.json'),
  });
  const errors = [];
  const result = Extractor.invoke(config, {
    localBuild: update,
    messageCallback(message) {
      if (message.logLevel === 'error') errors.push(message.formatMessageWithoutLocation(directory));
      message.handled = true;
    },
  });
  if (errors.length > 0) return { name, problem: `${manifest.name} (${subpath}): ${errors.join('; ')}` };
  if (result.apiReportChanged && !update) {
    return {
      name,
      problem: `API of ${manifest.name}${subpath === '.' ? '' : ` (${subpath.slice(2)})`} changed; review and run pnpm api:update (diff api/${name}.api.md against the build's)`,
    };
  }
  return { name, changed: result.apiReportChanged };
}

function main(args) {
  const update = args.includes('--update');
  const packagesFolder = option(args, '--packages', join(repository, 'packages'));
  const reports = option(args, '--reports', join(repository, 'api'));
  mkdirSync(reports, { recursive: true });
  const temporary = mkdtempSync(join(tmpdir(), 'berth-api-report-'));
  const problems = [];
  const written = new Set();
  let changed = 0;
  try {
    for (const folder of readdirSync(packagesFolder, { withFileTypes: true })) {
      const directory = join(packagesFolder, folder.name);
      if (!folder.isDirectory() || !existsSync(join(directory, 'package.json'))) continue;
      const manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8'));
      if (manifest.private) continue;
      for (const { subpath, types } of typedEntries(manifest)) {
        const outcome = extract({ directory, manifest, subpath, types, reports, temporary, update });
        written.add(`${outcome.name}.api.md`);
        if (outcome.problem) problems.push(outcome.problem);
        if (outcome.changed) changed += 1;
      }
    }
  } finally {
    rmSync(temporary, { recursive: true, force: true });
  }
  // A report whose entry point is gone is a removed API, too.
  for (const file of readdirSync(reports).filter((name) => name.endsWith('.api.md') && !written.has(name))) {
    if (update) {
      rmSync(join(reports, file));
      changed += 1;
    } else
      problems.push(`api/${file} has no entry point any more (removed or renamed); review and run pnpm api:update`);
  }
  for (const problem of problems) console.log(`FAIL ${problem}`);
  if (update) console.log(`api reports: ${written.size} written, ${changed} changed (in ${reports})`);
  else if (problems.length === 0) console.log(`api reports: ${written.size} entry points match their reports`);
  return problems.length === 0 ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
