#!/usr/bin/env node
import { relative } from 'node:path';
import { parseCommandLine, USAGE } from '../command-line.js';
import { scaffoldTarget } from '../scaffold-target.js';
import { AnswerError } from '../target-answers.js';
import { completeAnswers } from '../target-prompt.js';

declare const __CREATE_BERTH_TARGET_VERSION__: string;

async function main(argv: readonly string[]): Promise<number> {
  const commandLine = parseCommandLine(argv);
  if (commandLine.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (commandLine.version) {
    process.stdout.write(`${__CREATE_BERTH_TARGET_VERSION__}\n`);
    return 0;
  }
  const interactive = !commandLine.yes && process.stdin.isTTY === true && process.stdout.isTTY === true;
  const answers = await completeAnswers(
    commandLine.answers,
    interactive ? { input: process.stdin, output: process.stdout } : undefined,
  );
  const result = await scaffoldTarget(answers);
  const folder = relative(process.cwd(), result.directory) || '.';
  const capabilities = result.capabilities.length > 0 ? result.capabilities.join(', ') : 'none';
  process.stdout.write(
    `Created ${result.packageName} in ${folder}: target '${result.target}', optional capabilities: ${capabilities} (${result.files.length} files).

Next:
  cd ${folder}
  npm install
  npm test                 builds, then runs the unit tests and @berth/testkit's conformance suite
  npx berth targets        lists '${result.target}' (berth finds the package it runs in)
  npx berth create -t ${result.target} --name demo -m ./examples/linear-model
  npx berth predict -t ${result.target} --name demo -I ./examples/input.json

Then replace the example in src/${result.target}-deployment-client.ts with calls to your backend;
docs/writing-a-target.md (in the new package) explains the contract.
`,
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const usage = error instanceof AnswerError;
    process.stderr.write(`create-berth-target: ${(error as Error).message ?? String(error)}\n`);
    process.exitCode = usage ? 2 : 1;
  },
);
