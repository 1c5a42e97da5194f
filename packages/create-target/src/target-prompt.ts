import { createInterface } from 'node:readline/promises';
import {
  AnswerError,
  CAPABILITIES,
  checkTarget,
  defaultPackageName,
  normaliseScope,
  parseCapabilities,
  type TargetAnswers,
  targetFromDirectory,
} from './target-answers.js';

export interface PromptStreams {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
}

/**
 * Asks for what the flags left out, one question at a time, with the default in brackets; a bad
 * answer is explained and asked again. Without `streams` (not a terminal, or --yes) it takes the
 * defaults, and a missing directory is an error.
 */
export async function completeAnswers(
  given: Partial<TargetAnswers>,
  streams: PromptStreams | undefined,
): Promise<TargetAnswers> {
  if (!streams) return withDefaults(given);
  const prompt = createInterface({ input: streams.input, terminal: false });
  // Lines are read through the iterator, which buffers them: answers typed (or piped) ahead of
  // their question are not lost, and a closed input ends the questions instead of hanging.
  const lines = prompt[Symbol.asyncIterator]();
  const ask = async <T>(question: string, fallback: string, read: (answer: string) => T): Promise<T> => {
    for (;;) {
      streams.output.write(`${question}${fallback ? ` (${fallback})` : ''}: `);
      const line = await lines.next();
      if (line.done) throw new AnswerError(`No answer to "${question}" (the input closed).`);
      try {
        return read(String(line.value).trim() || fallback);
      } catch (error) {
        streams.output.write(`  ${(error as Error).message}\n`);
      }
    }
  };
  try {
    const directory =
      given.directory ??
      (await ask('Folder to create', 'berth-target-example', (answer) => {
        if (!answer) throw new AnswerError('A folder is needed.');
        return answer;
      }));
    const target =
      given.target ?? (await ask('Target name (the URI scheme)', targetFromDirectory(directory) ?? '', checkTarget));
    const scope = given.scope ?? (await ask('npm scope (empty for none)', '', normaliseScope));
    const capabilities =
      given.capabilities ??
      (await ask(`Optional capabilities: ${CAPABILITIES.join(', ')} (comma-separated)`, 'none', parseCapabilities));
    const packageName =
      given.packageName ?? (await ask('Package name', defaultPackageName(target, scope), (answer) => answer));
    return {
      directory,
      target,
      capabilities,
      packageName,
      ...(scope === undefined ? {} : { scope }),
      ...(given.summary === undefined ? {} : { summary: given.summary }),
    };
  } finally {
    prompt.close();
  }
}

function withDefaults(given: Partial<TargetAnswers>): TargetAnswers {
  if (given.directory === undefined) {
    throw new AnswerError('Give the folder to create: create-berth-target <directory> [--target <name>] --yes');
  }
  const target = given.target ?? targetFromDirectory(given.directory);
  if (target === undefined) {
    throw new AnswerError(`Cannot make a target name from '${given.directory}'; give one with --target <name>.`);
  }
  return { ...given, directory: given.directory, target, capabilities: given.capabilities ?? [] };
}
