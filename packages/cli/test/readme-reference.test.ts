import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// packages/cli/README.md documents the CLI twice: a hand-written table of commands and options, and
// the command reference — every command's --help output, verbatim. Both are checked against the
// built CLI, so neither can drift from what `berth --help` prints.
const README = fileURLToPath(new URL('../README.md', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/berth.cjs', import.meta.url));
const START = '<!-- command-reference:start (generated: see packages/cli/test/readme-reference.test.ts) -->';
const END = '<!-- command-reference:end -->';
const UPDATE = 'BERTH_UPDATE_README=1 npx -y pnpm@12.4.2 exec vitest run --project cli test/readme-reference.test.ts';

let home: string;

function berth(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    // An empty BERTH_HOME and no default target: help output must not depend on this machine.
    const env = { ...process.env, BERTH_HOME: home, BERTH_TARGET: '', MLFLOW_DEPLOYMENTS_TARGET: '', COLUMNS: '80' };
    execFile(process.execPath, [BIN, ...args], { env, timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`berth ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** The command names a help text lists under "Commands:" (commander's own `help` left out for subcommands). */
function commandsOf(help: string, includeHelp: boolean): string[] {
  const section = help.slice(help.indexOf('\nCommands:\n') + '\nCommands:\n'.length);
  const names = [...section.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((match) => match[1] as string);
  return names.filter((name) => includeHelp || name !== 'help');
}

/** Every command path with its --help output, in the order `berth --help` lists them. */
async function helpTexts(): Promise<{ path: string; help: string }[]> {
  const top = await berth(['--help']);
  const texts = [{ path: '', help: top }];
  for (const command of commandsOf(top, true)) {
    const help = await berth([command, '--help']);
    texts.push({ path: command, help });
    if (help.includes('\nCommands:\n')) {
      for (const sub of commandsOf(help, false))
        texts.push({ path: `${command} ${sub}`, help: await berth([command, sub, '--help']) });
    }
  }
  return texts;
}

function reference(texts: { path: string; help: string }[]): string {
  const blocks = texts.map(
    ({ path, help }) => `### \`berth${path ? ` ${path}` : ''}\`\n\n\`\`\`text\n${help.trimEnd()}\n\`\`\``,
  );
  return `${START}\n\n${blocks.join('\n\n')}\n\n${END}`;
}

/** Long and short flags of a command's help, without the ones every command shares. */
function optionsOf(help: string): { long: string; short?: string }[] {
  const section = help.slice(help.indexOf('\nOptions:\n'));
  return [...section.matchAll(/^ {2}(?:(-[A-Za-z]), )?(--[a-z][a-z-]*)/gm)]
    .map((match) => ({ long: match[2] as string, ...(match[1] ? { short: match[1] } : {}) }))
    .filter((option) => !['--target', '--json', '--help'].includes(option.long));
}

let texts: { path: string; help: string }[];
let readme: string;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'berth-readme-'));
  texts = await helpTexts();
  readme = await readFile(README, 'utf8');
}, 120_000);

afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('packages/cli/README.md', () => {
  it('holds every command’s --help output as the CLI prints it', async () => {
    const expected = reference(texts);
    if (process.env.BERTH_UPDATE_README === '1') {
      const [start, end] = [readme.indexOf(START), readme.indexOf(END)];
      if (start < 0 || end < 0) throw new Error(`README.md needs the markers ${START} … ${END}`);
      readme = `${readme.slice(0, start)}${expected}${readme.slice(end + END.length)}`;
      await writeFile(README, readme);
    }
    const [start, end] = [readme.indexOf(START), readme.indexOf(END)];
    const actual = start >= 0 && end >= 0 ? readme.slice(start, end + END.length) : '(no command reference)';
    expect(
      actual,
      `The command reference in packages/cli/README.md is out of date. Review the change, then run:\n  ${UPDATE}`,
    ).toBe(expected);
  });

  it('has a row in the commands table for every command, naming each of its options', () => {
    const table = readme.slice(readme.indexOf('| command'), readme.indexOf('\n\n', readme.indexOf('| command')));
    const rows = new Map(
      [...table.matchAll(/^\| `([a-z][a-z -]*?)`(?: \([^)]*\))?\s*\|(.*)$/gm)].map((match) => [
        match[1] as string,
        match[2] as string,
      ]),
    );
    const missing: string[] = [];
    for (const { path, help } of texts) {
      if (path === '' || help.includes('\nCommands:\n')) continue;
      const own = rows.get(path) ?? rows.get(path.replace(/ .*/, ''));
      // "as `predict`" in a row: the command takes that command's options too.
      const like = own === undefined ? undefined : /\bas `([a-z-]+)`/.exec(own)?.[1];
      const row = own === undefined ? undefined : `${own}${like ? (rows.get(like) ?? '') : ''}`;
      if (row === undefined) {
        missing.push(`no row for '${path}'`);
        continue;
      }
      for (const option of optionsOf(help)) {
        const named =
          row.includes(`\`${option.long}`) ||
          row.includes(`${option.long}\``) ||
          row.includes(`${option.long}/`) ||
          (option.short !== undefined && new RegExp(`\`${option.short}[\`/…]|${option.short}/`).test(row));
        if (!named) missing.push(`'${path}' row does not name ${option.short ? `${option.short}/` : ''}${option.long}`);
      }
    }
    for (const documented of rows.keys()) {
      if (
        !texts.some(
          (text) => text.path === documented || text.path === `targets ${documented.replace(/^targets /, '')}`,
        )
      ) {
        missing.push(`row for '${documented}', which berth --help does not list`);
      }
    }
    expect(missing, 'packages/cli/README.md, "Commands" table').toEqual([]);
  });
});
