import { rename, writeFile } from 'node:fs/promises';

/** Writes `{"pid","port","url"}` atomically (temp file + rename) so a watcher never reads half a file. */
export async function writeReadyFile(path: string, content: { pid: number; port: number; url: string }): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(content)}\n`);
  await rename(temporary, path);
}
