import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedManifest } from './generated-manifest.js';
import { versionOf } from './scaffold-versions.js';
import {
  AnswerError,
  type Capability,
  checkPackageName,
  checkTarget,
  defaultPackageName,
  normaliseScope,
  pascalCase,
  type TargetAnswers,
} from './target-answers.js';
import { renderPath, renderTemplate } from './template-rendering.js';

/** Beside dist/ in the package, beside src/ in the repository. */
const TEMPLATES = fileURLToPath(new URL('../templates/', import.meta.url));
/**
 * The repository's docs/writing-a-target.md goes into every scaffold as docs/writing-a-target.md:
 * the build copies it into dist/ (tsup.config.ts); tests running from src/ read it in place.
 */
const GUIDES = [
  new URL('./writing-a-target.md', import.meta.url),
  new URL('../../../docs/writing-a-target.md', import.meta.url),
];

export interface ScaffoldResult {
  directory: string;
  packageName: string;
  target: string;
  capabilities: readonly Capability[];
  /** Paths written, relative to `directory`, sorted. */
  files: string[];
}

/**
 * Writes a target package into `answers.directory` (created; it must not exist or be empty, so
 * nothing of the user's is overwritten). Validates every answer before the first write.
 */
export async function scaffoldTarget(answers: TargetAnswers): Promise<ScaffoldResult> {
  const target = checkTarget(answers.target);
  const scope = normaliseScope(answers.scope);
  const packageName = checkPackageName(answers.packageName ?? defaultPackageName(target, scope));
  const summary = (answers.summary ?? 'file-backed deployments of linear models (the scaffold’s example)').trim();
  if (summary === '' || /[\r\n]/.test(summary)) throw new AnswerError('The summary must be one line.');
  const directory = resolve(answers.directory);
  await checkEmpty(directory);

  const flags = new Set<string>(answers.capabilities);
  const word = (capability: Capability) => (flags.has(capability) ? 'yes' : 'no (NOT_IMPLEMENTED)');
  const values = {
    id: target,
    Pascal: pascalCase(target),
    package: packageName,
    summary,
    stream: String(flags.has('stream')),
    explain: String(flags.has('explain')),
    endpoints: String(flags.has('endpoints')),
    stream_word: word('stream'),
    explain_word: word('explain'),
    endpoints_word: word('endpoints'),
    biome_version: versionOf('@biomejs/biome'),
  };

  const rendered = new Map<string, string>();
  for (const path of await templateFiles(TEMPLATES)) {
    const text = await readFile(join(TEMPLATES, path), 'utf8');
    rendered.set(renderPath(path, values), renderTemplate(text, values, flags, path));
  }
  rendered.set('package.json', `${JSON.stringify(generatedManifest({ packageName, target, summary }), null, 2)}\n`);
  rendered.set('docs/writing-a-target.md', await readGuide());

  for (const [path, text] of rendered) {
    const file = join(directory, path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, text);
  }
  return {
    directory,
    packageName,
    target,
    capabilities: [...answers.capabilities],
    files: [...rendered.keys()].sort(),
  };
}

async function readGuide(): Promise<string> {
  for (const guide of GUIDES) {
    try {
      return await readFile(guide, 'utf8');
    } catch {
      // not at this place: try the next
    }
  }
  throw new Error('create-berth-target is missing writing-a-target.md (a broken build: reinstall it).');
}

async function templateFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)).split('\\').join('/'))
    .sort();
}

async function checkEmpty(directory: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(directory);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code === 'ENOTDIR') throw new AnswerError(`${directory} is a file, not a folder.`);
    throw error;
  }
  if (entries.length > 0) {
    const shown = entries.slice(0, 5).join(', ') + (entries.length > 5 ? ', …' : '');
    throw new AnswerError(`${directory} is not empty (${shown}); choose a new folder so nothing in it is overwritten.`);
  }
}
