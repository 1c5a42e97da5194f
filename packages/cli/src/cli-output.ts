import { writeFile } from 'node:fs/promises';

/** Every command takes `--json`. */
export interface JsonOption {
  json?: true | undefined;
}

/** Resolves once the text is handed to the OS, so a following process.exit cannot cut it off. */
export function writeStdout(text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(text, (error) => (error ? reject(error) : resolve()));
  });
}

export function printLine(text: string): Promise<void> {
  return writeStdout(`${text}\n`);
}

/** `--json` output: pretty-printed, one document. */
export function printJson(value: unknown): Promise<void> {
  return writeStdout(`${JSON.stringify(value, null, 2)}\n`);
}

/** Writes to `-O` when given, else stdout. */
export async function writeResult(text: string, outputPath: string | undefined): Promise<void> {
  if (outputPath === undefined) return writeStdout(text);
  await writeFile(outputPath, text);
}
