/**
 * `berth targets [list] [--json]` for `bin/berth.cjs`, built on its own into `dist/targets.cjs`:
 * one CommonJS file holding this command and the part of core's discovery it uses, so listing
 * targets loads neither commander nor the ESM loader nor core's other modules. It is the same
 * code as the full CLI's command (`commands/targets-list-command.ts`), not a second version.
 */
export { listTargets } from './commands/targets-list-command.js';
