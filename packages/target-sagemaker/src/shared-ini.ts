import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * The AWS shared config and credentials files, read the way the SDK reads them — for the cheap
 * paths only (the region; static keys for `berth list`): the SDK's own loaders are internal modules
 * that cost more to import than `berth list` may take. Sections are `[default]`, `[profile NAME]`
 * (config file) or `[NAME]` (credentials file); a key with an empty value followed by indented
 * lines (`services`, `s3 =`) is a nested block, kept as present with the empty value.
 */

export type IniProfile = Record<string, string>;

export function parseIni(text: string): Map<string, IniProfile> {
  const sections = new Map<string, IniProfile>();
  let current: IniProfile | undefined;
  let nestedUnder: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s*[#;]/.test(raw) || raw.trim() === '') continue;
    const section = /^\s*\[\s*([^\]]*?)\s*\]/.exec(raw);
    if (section) {
      const name = (section[1] as string).replace(/\s+/g, ' ');
      current = sections.get(name) ?? {};
      sections.set(name, current);
      nestedUnder = undefined;
      continue;
    }
    if (current === undefined) continue;
    // An indented line under `key =` belongs to that key's nested block.
    if (nestedUnder !== undefined && /^\s/.test(raw)) continue;
    const setting = /^\s*([^=\s][^=]*?)\s*=\s*(.*?)\s*$/.exec(raw);
    if (!setting) continue;
    const key = (setting[1] as string).toLowerCase();
    // An inline comment needs whitespace before it (`#` may appear inside values).
    const value = (setting[2] as string).replace(/\s+[#;].*$/, '');
    current[key] = value;
    nestedUnder = value === '' ? key : undefined;
  }
  return sections;
}

async function readIni(file: string): Promise<Map<string, IniProfile>> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  return text === undefined ? new Map() : parseIni(text);
}

export function configFilePath(env: NodeJS.ProcessEnv): string {
  return env.AWS_CONFIG_FILE || path.join(env.HOME || os.homedir(), '.aws', 'config');
}

export function credentialsFilePath(env: NodeJS.ProcessEnv): string {
  return env.AWS_SHARED_CREDENTIALS_FILE || path.join(env.HOME || os.homedir(), '.aws', 'credentials');
}

export function profileName(env: NodeJS.ProcessEnv): string {
  return env.AWS_PROFILE || 'default';
}

/** The profile's settings from the config file (`[profile NAME]`, or `[default]`). */
export async function configProfile(env: NodeJS.ProcessEnv): Promise<IniProfile | undefined> {
  const sections = await readIni(configFilePath(env));
  const name = profileName(env);
  if (name === 'default') return sections.get('default') ?? sections.get('profile default');
  return sections.get(`profile ${name}`);
}

/** The profile as the SDK's ini loader sees it: config file settings, overridden by the credentials file's. */
export async function mergedProfile(env: NodeJS.ProcessEnv): Promise<IniProfile | undefined> {
  const [config, credentials] = await Promise.all([configProfile(env), readIni(credentialsFilePath(env))]);
  const fromCredentials = credentials.get(profileName(env));
  if (config === undefined && fromCredentials === undefined) return undefined;
  return { ...config, ...fromCredentials };
}
