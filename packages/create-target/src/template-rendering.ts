/**
 * The templates are real files with two kinds of marks, so they read as the code they become:
 * placeholders (`__id__`, `__Pascal__`, …) and line directives that keep or drop a block by
 * capability — `// #if endpoints` … `// #endif` (also `# #if` in YAML and `<!-- #if -->` in
 * Markdown), with `!` for the other branch — or sort the import/export statements of a block by
 * module once the names are in (`// #sort` … `// #endsort`): `./acme-config.js` sorts before
 * `./run-local.js` but `./zeta-config.js` after it, and Biome insists on the order.
 */
export type TemplateValues = Readonly<Record<string, string>>;
export type TemplateFlags = ReadonlySet<string>;

const DIRECTIVE = /^\s*(?:\/\/|#|<!--)\s*#(if|endif)\b\s*(!?)\s*([a-z-]*)\s*(?:-->)?\s*$/;
const PLACEHOLDER = /__([A-Za-z][A-Za-z_]*?)__/g;
const SORT = /^\s*\/\/\s*#(sort|endsort)\s*$/;
const STATEMENT_END = /from '([^']+)';\s*$/;

export class TemplateError extends Error {
  override name = 'TemplateError';
}

export function renderTemplate(text: string, values: TemplateValues, flags: TemplateFlags, file: string): string {
  return sortBlocks(replacePlaceholders(keepBlocks(text, flags, file), values, file), file);
}

function sortBlocks(text: string, file: string): string {
  const output: string[] = [];
  let block: string[] | undefined;
  for (const line of text.split('\n')) {
    const marker = SORT.exec(line)?.[1];
    if (marker === 'sort') {
      if (block) throw new TemplateError(`${file}: #sort inside #sort`);
      block = [];
    } else if (marker === 'endsort') {
      if (!block) throw new TemplateError(`${file}: #endsort without #sort`);
      output.push(...sortStatements(block, file));
      block = undefined;
    } else (block ?? output).push(line);
  }
  if (block) throw new TemplateError(`${file}: #sort without #endsort`);
  return output.join('\n');
}

/** Statements of one or more lines, each ending `from '<module>';`, ordered by module. */
function sortStatements(lines: string[], file: string): string[] {
  const statements: { module: string; lines: string[] }[] = [];
  let current: string[] = [];
  for (const line of lines) {
    current.push(line);
    const module = STATEMENT_END.exec(line)?.[1];
    if (module !== undefined) {
      statements.push({ module, lines: current });
      current = [];
    }
  }
  if (current.some((line) => line.trim() !== ''))
    throw new TemplateError(`${file}: a #sort block holds more than import/export statements`);
  return statements
    .sort((a, b) => (a.module < b.module ? -1 : a.module > b.module ? 1 : 0))
    .flatMap((statement) => statement.lines);
}

function keepBlocks(text: string, flags: TemplateFlags, file: string): string {
  const kept: string[] = [];
  let open: { keep: boolean; line: number } | undefined;
  text.split('\n').forEach((line, index) => {
    const directive = DIRECTIVE.exec(line);
    if (!directive) {
      if (open === undefined || open.keep) kept.push(line);
      return;
    }
    const [, kind, negated, flag] = directive;
    if (kind === 'if') {
      if (open) throw new TemplateError(`${file}:${index + 1}: #if inside the #if of line ${open.line}`);
      if (!flag) throw new TemplateError(`${file}:${index + 1}: #if needs a capability`);
      open = { keep: flags.has(flag) !== (negated === '!'), line: index + 1 };
    } else {
      if (!open) throw new TemplateError(`${file}:${index + 1}: #endif without #if`);
      open = undefined;
    }
  });
  if (open) throw new TemplateError(`${file}:${open.line}: #if without #endif`);
  return kept.join('\n');
}

function replacePlaceholders(text: string, values: TemplateValues, file: string): string {
  return text.replace(PLACEHOLDER, (match, name: string) => {
    const value = values[name];
    if (value === undefined) throw new TemplateError(`${file}: unknown placeholder ${match}`);
    return value;
  });
}

/** `src/__id__-config.ts` → `src/acme-config.ts`; `dot-gitignore` → `.gitignore`; `x.json.template` → `x.json`. */
export function renderPath(path: string, values: TemplateValues): string {
  return path
    .split('/')
    .map((segment) => segment.replace(/^dot-/, '.').replace(/\.template$/, ''))
    .map((segment) => replacePlaceholders(segment, values, path))
    .join('/');
}
