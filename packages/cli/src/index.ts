#!/usr/bin/env node
import { runCli } from './run-cli.js';

const exitCode = await runCli(process.argv);
// run-local keeps serving until a signal; every other command ends here, even if a target left a
// keep-alive socket or timer open.
if (exitCode !== undefined) process.exit(exitCode);
