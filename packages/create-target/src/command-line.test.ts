import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from './command-line.js';
import { AnswerError } from './target-answers.js';
import { completeAnswers } from './target-prompt.js';

describe('parseCommandLine', () => {
  it('reads the directory and every flag', () => {
    const line = parseCommandLine([
      'out',
      '-t',
      'acme',
      '--scope',
      'org',
      '-c',
      'stream,endpoints',
      '--summary',
      'S',
      '-y',
    ]);
    expect(line).toMatchObject({
      yes: true,
      answers: { directory: 'out', target: 'acme', scope: '@org', capabilities: ['stream', 'endpoints'], summary: 'S' },
    });
  });

  it('refuses an unknown flag, a bad value and a second directory with a usage error', () => {
    expect(() => parseCommandLine(['out', '--tagret', 'x'])).toThrow(/Unknown option '--tagret'.*see --help/);
    expect(() => parseCommandLine(['out', '-t', 'Bad'])).toThrow(AnswerError);
    expect(() => parseCommandLine(['a', 'b'])).toThrow(/Give one directory, not 2/);
  });
});

describe('completeAnswers', () => {
  it('takes defaults without a terminal, and needs a directory', async () => {
    await expect(completeAnswers({ directory: 'berth-target-acme' }, undefined)).resolves.toEqual({
      directory: 'berth-target-acme',
      target: 'acme',
      capabilities: [],
    });
    await expect(completeAnswers({}, undefined)).rejects.toThrow(/Give the folder to create/);
  });

  it('asks for what is missing, explains a bad answer and asks again', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let shown = '';
    output.on('data', (chunk: Buffer) => {
      shown += chunk.toString();
    });
    const answers = completeAnswers({ directory: 'out' }, { input, output });
    input.write('Bad Name\nacme\n@org\nstream, explain\n\n');
    await expect(answers).resolves.toEqual({
      directory: 'out',
      target: 'acme',
      scope: '@org',
      capabilities: ['stream', 'explain'],
      packageName: '@org/berth-target-acme',
    });
    expect(shown).toContain('Target name (the URI scheme)');
    expect(shown).toContain("Invalid target name 'Bad Name'");
    expect(shown).toContain('Package name (@org/berth-target-acme)');
  });

  it('stops with a clear error when the input closes before every answer is given', async () => {
    const input = new PassThrough();
    const answers = completeAnswers({ directory: 'out' }, { input, output: new PassThrough() });
    input.end('acme\n');
    await expect(answers).rejects.toThrow(/No answer to "npm scope \(empty for none\)" \(the input closed\)/);
  });
});
