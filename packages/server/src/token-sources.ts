import { readFile } from 'node:fs/promises';
import { BerthError } from '@berth/core';
import type { TokenOptions } from './access-tokens.js';

export interface TokenSources {
  /** File of read-write tokens (one per line); wins over `BERTH_SERVER_TOKEN`. */
  tokenFile?: string | undefined;
  /** File of read-only tokens; wins over `BERTH_SERVER_READ_ONLY_TOKEN`. */
  readOnlyTokenFile?: string | undefined;
  /** Where the variables are read from (and removed from); `process.env` by default. */
  env?: NodeJS.ProcessEnv;
}

export const TOKEN_ENV = 'BERTH_SERVER_TOKEN';
export const READ_ONLY_TOKEN_ENV = 'BERTH_SERVER_READ_ONLY_TOKEN';

/** One token per line; blank lines and `#` comments are skipped, so a file can hold old + new while rotating. */
export function parseTokenFile(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

async function readTokenFile(path: string, role: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read';
    throw BerthError.invalidParameterValue(`The ${role} token file ${path} ${reason}.`, {
      cause,
      suggestions: [
        `Create it with one token per line, e.g.: node -e "console.log(crypto.randomBytes(32).toString('base64url'))" > ${path} && chmod 600 ${path}`,
      ],
    });
  }
  const tokens = parseTokenFile(text);
  if (tokens.length === 0) throw BerthError.invalidParameterValue(`The ${role} token file ${path} holds no token.`);
  return tokens;
}

/**
 * The tokens `berth serve` runs with: files first, then the environment. The variables are deleted
 * once read, so target code (and the model code a target may run) does not inherit them.
 */
export async function resolveTokenSources(sources: TokenSources = {}): Promise<TokenOptions> {
  const env = sources.env ?? process.env;
  const fromEnv = (key: string): string[] => {
    const value = env[key]?.trim();
    delete env[key];
    return value ? [value] : [];
  };
  const envReadWrite = fromEnv(TOKEN_ENV);
  const envReadOnly = fromEnv(READ_ONLY_TOKEN_ENV);
  const readWrite = sources.tokenFile ? await readTokenFile(sources.tokenFile, 'read-write') : envReadWrite;
  const readOnly = sources.readOnlyTokenFile
    ? await readTokenFile(sources.readOnlyTokenFile, 'read-only')
    : envReadOnly;
  return { readWrite, readOnly };
}
