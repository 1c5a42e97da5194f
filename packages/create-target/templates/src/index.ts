/** The version of Berth's target spec this package was written against (see @berth/core's README). */
export const specificationVersion = '1.1';

// #sort
export { configSchema } from './__id__-config.js';
export { __Pascal__DeploymentClient } from './__id__-deployment-client.js';
export { runLocal } from './run-local.js';
export { targetHelp } from './target-help.js';
// #endsort
