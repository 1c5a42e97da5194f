/**
 * Every contract point the suite checks, by id. Test titles start with `[id]` and every failure
 * message names the id, so a target author can find the rule in docs/writing-a-target.md
 * (which lists these ids; a test keeps the two in step).
 */
export const CONTRACT_POINTS = {
  'module.validates': "the entry module passes @berth/core's target validation (the loader the CLI uses)",
  'module.spec-version': 'the module exports a specificationVersion this @berth/core supports',
  'module.client-class': "createClient() returns an instance of the module's one client class, holding the target URI",
  'module.target-help': 'targetHelp() returns text that names the target and every config key',
  'module.run-local': 'runLocal is exported; a target without local serving rejects it with NOT_IMPLEMENTED',
  'config.schema': 'the module exports a configSchema with a JSON Schema description of its keys',
  'config.unknown-key': "core's config validation refuses an unknown key with INVALID_PARAMETER_VALUE",
  'config.strict-schema': 'the configSchema itself refuses an unknown key (z.strictObject)',
  'config.create-refuses-unknown': 'createDeployment called from code refuses an unknown config key and keeps nothing',
  'discovery.manifest': 'package.json declares the target in "deploymentTargets" and discovery lists it',
  'discovery.loads': 'the target loads through discovery (package.json entry → exports → module)',
  'lifecycle.create': 'createDeployment resolves to a Deployment with the requested name, once it can serve',
  'lifecycle.create-taken': 'createDeployment with a taken name rejects with RESOURCE_ALREADY_EXISTS',
  'lifecycle.create-broken': 'createDeployment of a broken model rejects with a BerthError and keeps no deployment',
  'lifecycle.get': 'getDeployment resolves to the Deployment with its name and model URI',
  'lifecycle.get-missing': 'getDeployment of a missing name rejects with RESOURCE_DOES_NOT_EXIST',
  'lifecycle.list': 'listDeployments includes the deployment, and every entry carries a string name',
  'lifecycle.state': 'a reported state is a non-empty string (one of the declared states, when declared)',
  'lifecycle.progress':
    'progress events passed to onProgress carry a message (spec 1.1), and none arrive after the call settles',
  'lifecycle.update': 'updateDeployment resolves to the Deployment with its name and the new model URI',
  'lifecycle.update-missing': 'updateDeployment of a missing name rejects with RESOURCE_DOES_NOT_EXIST',
  'lifecycle.update-broken': 'an update to a broken model rejects with a BerthError and the old model keeps serving',
  'lifecycle.delete': 'deleteDeployment removes the deployment from get and list',
  'lifecycle.delete-idempotent': 'deleteDeployment of a missing name resolves (idempotent)',
  'predict.response': 'predict resolves to a PredictionsResponse with one prediction per input row',
  'predict.formats': 'the PredictionsResponse converts to records, columns and arrays (and the MLflow aliases)',
  'predict.missing': 'predict on a missing deployment rejects with RESOURCE_DOES_NOT_EXIST',
  'predict.invalid-input':
    'predict with an input the model cannot take rejects with INVALID_PARAMETER_VALUE or BAD_REQUEST',
  'stream.chunks': 'predictStream yields at least one chunk, each a plain object',
  'stream.not-implemented': 'without streaming, iterating predictStream rejects with NOT_IMPLEMENTED and a message',
  'explain.result': 'explain resolves to an explanation (not undefined)',
  'explain.not-implemented': 'without explanations, explain rejects with NOT_IMPLEMENTED and a message',
  'endpoints.create': 'createEndpoint resolves to an Endpoint with the requested name',
  'endpoints.get': 'getEndpoint resolves to the Endpoint with its name',
  'endpoints.get-missing': 'getEndpoint of a missing name rejects with RESOURCE_DOES_NOT_EXIST',
  'endpoints.list': 'listEndpoints includes the endpoint, and every entry carries a string name',
  'endpoints.predict': 'predict through the endpoint resolves to a PredictionsResponse',
  'endpoints.update': 'updateEndpoint resolves to the Endpoint with its name',
  'endpoints.delete': 'deleteEndpoint removes the endpoint from get and list',
  'endpoints.not-implemented':
    'without endpoints, every endpoint method rejects with NOT_IMPLEMENTED and a message (the base class does this)',
} as const;

export type ContractPoint = keyof typeof CONTRACT_POINTS;

/** `[lifecycle.create] createDeployment resolves to …`: the title of the test for a point. */
export function titleOf(point: ContractPoint): string {
  return `[${point}] ${CONTRACT_POINTS[point]}`;
}
