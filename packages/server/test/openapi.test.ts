import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerFakeTarget, unregisterFakeTarget } from './fake-target.js';
import { startTestServer, type TestServer } from './helpers.js';

let test: TestServer;

beforeAll(async () => {
  registerFakeTarget('fake-openapi');
  test = await startTestServer({ target: 'fake-openapi' });
});

afterAll(async () => {
  await test?.close();
  unregisterFakeTarget('fake-openapi');
});

/** Every route the README's contract names, as OpenAPI path templates. */
const CONTRACT: [string, string][] = [
  ['get', '/api/berth/v1/server'],
  ['get', '/api/berth/v1/target/help'],
  ['get', '/api/berth/v1/target/config-schema'],
  ['get', '/api/berth/v1/deployments'],
  ['post', '/api/berth/v1/deployments'],
  ['get', '/api/berth/v1/deployments/{name}'],
  ['patch', '/api/berth/v1/deployments/{name}'],
  ['delete', '/api/berth/v1/deployments/{name}'],
  ['post', '/api/berth/v1/predict'],
  ['post', '/api/berth/v1/predict-stream'],
  ['post', '/api/berth/v1/explain'],
  ['get', '/api/berth/v1/endpoints'],
  ['post', '/api/berth/v1/endpoints'],
  ['get', '/api/berth/v1/endpoints/{name}'],
  ['patch', '/api/berth/v1/endpoints/{name}'],
  ['delete', '/api/berth/v1/endpoints/{name}'],
  ['get', '/api/berth/v1/operations'],
  ['get', '/api/berth/v1/operations/{id}'],
  ['post', '/api/berth/v1/operations/{id}/cancel'],
  ['get', '/health'],
  ['get', '/api/2.0/endpoints/'],
  ['get', '/api/2.0/endpoints/{name}'],
  ['post', '/endpoints/{name}/invocations'],
  ['get', '/metrics'],
];

type Document = {
  openapi: string;
  paths: Record<
    string,
    Record<string, { requestBody?: unknown; security?: unknown[]; responses: Record<string, unknown> }>
  >;
  components: { schemas: Record<string, unknown> };
};

describe('/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const answer = await test.api('GET', '/openapi.json');
    expect(answer.status).toBe(200);
    const document = answer.json() as Document;
    expect(document.openapi).toBe('3.1.0');
    const validator = new Validator();
    const result = await validator.validate(document as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('describes exactly the routes of the contract, and they answer', async () => {
    const document = (await test.api('GET', '/openapi.json')).json() as Document;
    const documented = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => [method, path] as [string, string]),
    );
    expect(documented.sort()).toEqual([...CONTRACT].sort());
    // Each documented route exists on the server: none answers the not-found handler's 404.
    for (const [method, path] of CONTRACT) {
      const concrete = path.replace('{name}', 'nothing').replace('{id}', 'nothing');
      const answer = await test.api(method.toUpperCase(), concrete, { body: method === 'get' ? undefined : {} });
      expect([method, path, answer.text.includes('ENDPOINT_NOT_FOUND')]).toEqual([method, path, false]);
    }
  });

  it('takes its request schemas from the zod schemas the server validates with', async () => {
    const document = (await test.api('GET', '/openapi.json')).json() as Document;
    const create = document.paths['/api/berth/v1/deployments']?.post?.requestBody as {
      content: {
        'application/json': {
          schema: { required: string[]; properties: Record<string, unknown>; additionalProperties: boolean };
        };
      };
    };
    const schema = create.content['application/json'].schema;
    expect(schema.required.sort()).toEqual(['modelUri', 'name']);
    expect(Object.keys(schema.properties).sort()).toEqual(['config', 'endpoint', 'flavor', 'modelUri', 'name']);
    expect(schema.additionalProperties).toBe(false);
    // What the document says is refused, the server refuses.
    const refused = await test.api('POST', '/api/berth/v1/deployments', {
      body: { name: 'a', modelUri: 'm', other: 1 },
    });
    expect(refused.status).toBe(400);
    expect(Object.keys(document.components.schemas)).toEqual(
      expect.arrayContaining(['Deployment', 'Operation', 'Error', 'MlflowEndpoint']),
    );
    expect(document.paths['/health']?.get?.security).toEqual([]);
  });
});
