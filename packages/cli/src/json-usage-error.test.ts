import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const berthBin = join(dirname(fileURLToPath(import.meta.url)), '../dist/index.js');

function berth(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [berthBin, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('usage errors with --json', () => {
  it('a missing required option is one JSON document on stderr, exit 2', async () => {
    const result = await berth(['create', '-t', 'local', '--json']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(JSON.parse(result.stderr)).toEqual({
      error_code: 'USAGE',
      message: "required option '--name <name>' not specified",
      suggestions: [expect.stringContaining('--help')],
    });
  });

  it('an unknown option and a bad choice are JSON too', async () => {
    const unknown = await berth(['list', '-t', 'local', '--nope', '--json']);
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.stderr).message).toContain("unknown option '--nope'");
    const choice = await berth([
      'predict',
      '-t',
      'local',
      '--name',
      'x',
      '-I',
      'in.json',
      '--content-type',
      'xml',
      '--json',
    ]);
    expect(choice.code).toBe(2);
    expect(JSON.parse(choice.stderr).message).toContain('Allowed choices are json, csv');
  });

  it('without --json the text message and help hint stay as they were', async () => {
    const result = await berth(['create', '-t', 'local']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Error: required option '--name <name>' not specified");
    expect(result.stderr).toContain('add --help for usage');
  });
});
