import { parseArgs } from 'node:util';
import { AnswerError, checkTarget, normaliseScope, parseCapabilities, type TargetAnswers } from './target-answers.js';

export const USAGE = `Usage: create-berth-target [directory] [options]
       npm create berth-target@latest [directory] -- [options]

Scaffolds a Berth deployment target package: TypeScript, tsup, vitest running @berth/testkit,
Biome, changesets and a CI workflow, with a working file-backed example to replace.

Options:
  -t, --target <name>        target name, the scheme of its URIs (default: from the directory)
  -s, --scope <@org>         npm scope: the package becomes @org/berth-target-<name>
      --package-name <name>  the npm name (default: [@scope/]berth-target-<name>)
  -c, --capabilities <list>  optional methods to implement: stream, explain, endpoints
                             (comma-separated; default none)
      --summary <text>       one line for \`berth targets\`
  -y, --yes                  ask nothing: use the flags and the defaults
  -h, --help                 show this help
  -v, --version              show the version

Without --yes on a terminal it asks for what the flags do not give.`;

/** What the command line says; answers are partial until the prompt (or the defaults) fill them. */
export interface CommandLine {
  help: boolean;
  version: boolean;
  yes: boolean;
  answers: Partial<TargetAnswers>;
}

/** Parses argv (without node and the script); a wrong flag or value is an AnswerError. */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new AnswerError(`${(error as Error).message.replace(/\. To specify.*$/s, '.')} (see --help)`);
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1)
    throw new AnswerError(`Give one directory, not ${positionals.length} (${positionals.join(', ')}).`);
  const answers: Partial<TargetAnswers> = {};
  if (positionals[0] !== undefined) answers.directory = positionals[0];
  if (values.target !== undefined) answers.target = checkTarget(values.target);
  const scope = normaliseScope(values.scope);
  if (scope !== undefined) answers.scope = scope;
  if (values['package-name'] !== undefined) answers.packageName = values['package-name'];
  if (values.capabilities !== undefined) answers.capabilities = parseCapabilities(values.capabilities);
  if (values.summary !== undefined) answers.summary = values.summary;
  return { help: values.help === true, version: values.version === true, yes: values.yes === true, answers };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      target: { type: 'string', short: 't' },
      scope: { type: 'string', short: 's' },
      'package-name': { type: 'string' },
      capabilities: { type: 'string', short: 'c' },
      summary: { type: 'string' },
      yes: { type: 'boolean', short: 'y' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
}
