/**
 * `create-berth-target`: scaffolds a Berth deployment target package. The command is
 * `npm create berth-target@latest <directory>`; this module is the same thing from code.
 */
export { corePeerRange, generatedManifest } from './generated-manifest.js';
export { type ScaffoldResult, scaffoldTarget } from './scaffold-target.js';
export { SCAFFOLD_VERSIONS } from './scaffold-versions.js';
export {
  AnswerError,
  CAPABILITIES,
  type Capability,
  defaultPackageName,
  pascalCase,
  type TargetAnswers,
} from './target-answers.js';
