import { BerthError } from '@berth/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HttpDeploymentClient } from '../src/index.js';
import { closeAllLoopbackServers, type LoopbackServer, startLoopbackServer } from './loopback-server.js';
import { exchange, mlflowClientResults, recorded, startGatewayFixture } from './mlflow-gateway-fixture.js';

/** MLflow's results with its base URL filled in. */
function withBase<T>(value: T, base: string): T {
  return JSON.parse(JSON.stringify(value).replaceAll('BASE', base)) as T;
}

const chatInput = { messages: [{ role: 'user', content: 'Hello' }] };

let gateway: LoopbackServer;

beforeEach(async () => {
  gateway = await startGatewayFixture();
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await closeAllLoopbackServers();
});

const requests = () => gateway.seen.map((request) => `${request.method} ${request.url}`);

describe(`MLflow mode against the answers of a real gateway (${recorded.recordedWith})`, () => {
  it('tells a gateway from a Berth server once per client, then uses MLflow routes', async () => {
    const client = new HttpDeploymentClient(gateway.url);
    await client.getEndpoint('chat');
    await client.getEndpoint('chat');
    expect(requests()).toEqual([
      'GET /api/berth/v1/server',
      'GET /health',
      'GET /api/2.0/endpoints/chat',
      'GET /api/2.0/endpoints/chat',
    ]);
  });

  it('a URI that is neither a Berth server nor a gateway is said to be so', async () => {
    const other = await startLoopbackServer((_request, response) => {
      response.writeHead(404).end('<h1>Not Found</h1>');
    });
    const error = (await new HttpDeploymentClient(other.url)
      .listEndpoints()
      .catch((caught: unknown) => caught)) as BerthError;
    expect(error.code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(error.message).toBe(
      `The server at ${other.url} is neither a Berth server (GET /api/berth/v1/server answered 404) nor an MLflow AI Gateway (GET /health answered 404).`,
    );
  });

  it('skips the question with ?server=mlflow or BERTH_SERVER_KIND=mlflow', async () => {
    await new HttpDeploymentClient(`${gateway.url}?server=mlflow`).getEndpoint('chat');
    vi.stubEnv('BERTH_SERVER_KIND', 'mlflow');
    await new HttpDeploymentClient(gateway.url).getEndpoint('chat');
    expect(requests()).toEqual(['GET /api/2.0/endpoints/chat', 'GET /api/2.0/endpoints/chat']);
  });

  it('lists endpoints across pages, as MLflow’s client does, with the URL predict calls', async () => {
    const client = new HttpDeploymentClient(`${gateway.url}?server=mlflow`);
    const endpoints = await client.listEndpoints();
    const page = exchange('second and last page').request.path;
    expect(requests()).toEqual(['GET /api/2.0/endpoints/', `GET ${page}`]);
    expect(endpoints.map((endpoint) => endpoint.name)).toEqual(['chat', 'completions', 'embeddings']);
    // Every field MLflow's client returns, with endpoint_url resolved against the target the same way.
    const expected = withBase(mlflowClientResults.list_endpoints, gateway.url);
    expect(endpoints.map(({ url: _url, ...rest }) => rest)).toEqual(expected);
    expect(endpoints[0]?.url).toBe(`${gateway.url}/endpoints/chat/invocations`);
  });

  it('gets one endpoint with MLflow’s fields', async () => {
    const client = new HttpDeploymentClient(`${gateway.url}?server=mlflow`);
    const { url, ...endpoint } = await client.getEndpoint('chat');
    expect(endpoint).toEqual(withBase(mlflowClientResults.get_endpoint, gateway.url));
    expect(url).toBe(`${gateway.url}/endpoints/chat/invocations`);
  });

  it('reports an unknown endpoint as RESOURCE_DOES_NOT_EXIST with the gateway’s words', async () => {
    const client = new HttpDeploymentClient(`${gateway.url}?server=mlflow`);
    const error = (await client.getEndpoint('nope').catch((caught: unknown) => caught)) as BerthError;
    expect(BerthError.isInstance(error)).toBe(true);
    expect(error.code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(error.message).toContain("The endpoint 'nope' is not present or active on the server.");
    expect(error.suggestions.join(' ')).toContain(`berth list-endpoints -t ${gateway.url}`);
  });

  it('predicts with one POST of the inputs; the gateway’s answer is the predictions', async () => {
    const client = new HttpDeploymentClient(`${gateway.url}?server=mlflow`);
    const response = await client.predict(undefined, chatInput, { endpoint: 'chat' });
    expect(requests()).toEqual(['POST /endpoints/chat/invocations']);
    expect(JSON.parse(gateway.seen[0]?.body ?? '')).toEqual(chatInput);
    expect(gateway.seen[0]?.headers['content-type']).toBe('application/json');
    expect(response.predictions).toEqual(mlflowClientResults.predict);
    // --name works too: the gateway has only endpoints, and MLflow ignores the deployment name.
    const byName = await client.predict('embeddings', { input: 'hi' });
    expect((byName.predictions as { data: { embedding: number[] }[] }).data[0]?.embedding).toEqual([0.25, -0.5, 0.75]);
  });

  it('streams a chat answer chunk by chunk, without the [DONE] the gateway never sends', async () => {
    const client = new HttpDeploymentClient(`${gateway.url}?server=mlflow`);
    const chunks: Record<string, unknown>[] = [];
    for await (const chunk of client.predictStream(undefined, chatInput, { endpoint: 'chat' })) chunks.push(chunk);
    expect(JSON.parse(gateway.seen[0]?.body ?? '')).toEqual({ ...chatInput, stream: true });
    expect(gateway.seen[0]?.headers.accept).toBe('text/event-stream');
    const text = chunks.map(
      (chunk) => (chunk as { choices: { delta: { content: string } }[] }).choices[0]?.delta.content,
    );
    expect(text).toEqual(['Hello', ' from', ' the fixture.']);
  });

  it('passes the gateway’s refusal of a payload on with its status', async () => {
    const client = new HttpDeploymentClient(`${gateway.url}?server=mlflow`);
    const error = (await client
      .predict(undefined, { prompt: 1 }, { endpoint: 'chat' })
      .catch((caught: unknown) => caught)) as BerthError & { statusCode: number };
    expect(error.statusCode).toBe(422);
    expect(error.message).toContain('Field required');
    const unknown = (await client
      .predict(undefined, chatInput, { endpoint: 'nope' })
      .catch((caught: unknown) => caught)) as BerthError;
    expect(unknown.code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it.each([
    ['createDeployment', (client: HttpDeploymentClient) => client.createDeployment('x', './model')],
    ['updateDeployment', (client: HttpDeploymentClient) => client.updateDeployment('x', { modelUri: './m' })],
    ['deleteDeployment', (client: HttpDeploymentClient) => client.deleteDeployment('x')],
    ['listDeployments', (client: HttpDeploymentClient) => client.listDeployments()],
    ['getDeployment', (client: HttpDeploymentClient) => client.getDeployment('x')],
    ['createEndpoint', (client: HttpDeploymentClient) => client.createEndpoint('x', {})],
    ['updateEndpoint', (client: HttpDeploymentClient) => client.updateEndpoint('x', {})],
    ['deleteEndpoint', (client: HttpDeploymentClient) => client.deleteEndpoint('x')],
    ['explain', (client: HttpDeploymentClient) => client.explain('x', { inputs: [1] })],
  ])('%s is NOT_IMPLEMENTED against a gateway, saying what works instead', async (_method, call) => {
    const client = new HttpDeploymentClient(gateway.url);
    const error = (await call(client).catch((caught: unknown) => caught)) as BerthError;
    expect(BerthError.isInstance(error)).toBe(true);
    expect(error.code).toBe('NOT_IMPLEMENTED');
    expect(error.message).toContain(`The server at ${gateway.url} is an MLflow AI Gateway`);
    expect(error.suggestions.join('\n')).toContain('berth serve');
    // Detection only: nothing was sent beyond the two questions.
    expect(requests()).toEqual(['GET /api/berth/v1/server', 'GET /health']);
  });

  it('-C server=mlflow on create forces MLflow mode without asking', async () => {
    const client = new HttpDeploymentClient(gateway.url);
    const error = (await client
      .createDeployment('x', './model', { config: { server: 'mlflow' } })
      .catch((caught: unknown) => caught)) as BerthError;
    expect(error.code).toBe('NOT_IMPLEMENTED');
    expect(requests()).toEqual([]);
  });
});

describe('target URIs', () => {
  it.each([
    ['ftp://host', /scheme is 'ftp'/],
    ['http://', /not a URL|names no host/],
    ['http://user:secret@127.0.0.1:5000', /carries credentials/],
    ['http://127.0.0.1:5000?server=gateway', /Invalid the target URI's server=/],
    ['http://127.0.0.1:5000?token=x', /query parameter 'token'/],
  ])('rejects %s clearly', (uri, message) => {
    let caught: unknown;
    try {
      new HttpDeploymentClient(uri);
    } catch (error) {
      caught = error;
    }
    expect(BerthError.isInstance(caught)).toBe(true);
    expect((caught as BerthError).code).toBe('INVALID_PARAMETER_VALUE');
    expect((caught as BerthError).message).toMatch(message);
    expect((caught as BerthError).message).not.toContain('secret');
  });

  it('keeps a base path and drops a trailing slash, as MLflow joins URLs', async () => {
    const client = new HttpDeploymentClient(`${gateway.url}/base/?server=mlflow`);
    await client.getEndpoint('chat').catch(() => undefined);
    expect(requests()).toEqual(['GET /base/api/2.0/endpoints/chat']);
    expect(client.baseUrl).toBe(`${gateway.url}/base`);
  });
});
