import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import type { BerthError } from '@berth/core';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HttpDeploymentClient } from '../src/index.js';
import { answerJson, closeAllLoopbackServers, type Handler, startLoopbackServer } from './loopback-server.js';

const tls = join(dirname(fileURLToPath(import.meta.url)), '../__fixtures__/tls');
const pem = (name: string) => readFileSync(join(tls, name), 'utf8');
const scratch = mkdtempSync(join(tmpdir(), 'berth-http-auth-'));

const emptyList: Handler = (_request, response) => answerJson(response, 200, { endpoints: [] });

beforeEach(() => {
  // Only what each test sets: the machine's own MLflow or Berth variables must not leak in.
  for (const name of [
    'BERTH_TOKEN',
    'BERTH_TOKEN_FILE',
    'MLFLOW_TRACKING_TOKEN',
    'MLFLOW_TRACKING_USERNAME',
    'MLFLOW_TRACKING_PASSWORD',
    'BERTH_INSECURE_TLS',
    'MLFLOW_TRACKING_INSECURE_TLS',
    'BERTH_SERVER_CERT_PATH',
    'MLFLOW_TRACKING_SERVER_CERT_PATH',
    'BERTH_CLIENT_CERT_PATH',
    'MLFLOW_TRACKING_CLIENT_CERT_PATH',
  ]) {
    vi.stubEnv(name, '');
  }
  vi.stubEnv('BERTH_HTTP_REQUEST_MAX_RETRIES', '0');
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await closeAllLoopbackServers();
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function authorizationSent(environment: Record<string, string>): Promise<string | undefined> {
  for (const [name, value] of Object.entries(environment)) vi.stubEnv(name, value);
  const server = await startLoopbackServer(emptyList);
  await new HttpDeploymentClient(`${server.url}?server=mlflow`).listEndpoints();
  return server.seen[0]?.headers.authorization;
}

describe('credentials from the environment', () => {
  it('sends BERTH_TOKEN as a bearer token', async () => {
    expect(await authorizationSent({ BERTH_TOKEN: 'berth-token-value' })).toBe('Bearer berth-token-value');
  });

  it('sends MLFLOW_TRACKING_TOKEN as a bearer token', async () => {
    expect(await authorizationSent({ MLFLOW_TRACKING_TOKEN: 'mlflow-token' })).toBe('Bearer mlflow-token');
  });

  it('sends MLFLOW_TRACKING_USERNAME/PASSWORD as Basic auth, before MLFLOW_TRACKING_TOKEN (MLflow’s order)', async () => {
    const sent = await authorizationSent({
      MLFLOW_TRACKING_USERNAME: 'ada',
      MLFLOW_TRACKING_PASSWORD: 'pa:ss',
      MLFLOW_TRACKING_TOKEN: 'ignored',
    });
    expect(sent).toBe(`Basic ${Buffer.from('ada:pa:ss').toString('base64')}`);
  });

  it('BERTH_TOKEN wins over MLflow’s variables; BERTH_TOKEN_FILE is read when it is unset', async () => {
    expect(await authorizationSent({ BERTH_TOKEN: 'mine', MLFLOW_TRACKING_TOKEN: 'theirs' })).toBe('Bearer mine');
    const file = join(scratch, 'token');
    writeFileSync(file, 'from-a-file\n');
    vi.stubEnv('BERTH_TOKEN', '');
    expect(await authorizationSent({ BERTH_TOKEN_FILE: file })).toBe('Bearer from-a-file');
  });

  it('sends nothing when nothing is set', async () => {
    expect(await authorizationSent({})).toBeUndefined();
  });

  it('refuses a username without a password instead of sending no credentials', async () => {
    vi.stubEnv('MLFLOW_TRACKING_USERNAME', 'ada');
    const server = await startLoopbackServer(emptyList);
    const error = (await new HttpDeploymentClient(`${server.url}?server=mlflow`)
      .listEndpoints()
      .catch((caught: unknown) => caught)) as BerthError;
    expect(error.code).toBe('INVALID_PARAMETER_VALUE');
    expect(error.message).toBe(
      'MLFLOW_TRACKING_USERNAME is set but MLFLOW_TRACKING_PASSWORD is not, so no credentials would be sent (Basic auth needs both).',
    );
    expect(server.seen).toHaveLength(0);
  });

  it('names an unreadable BERTH_TOKEN_FILE', async () => {
    vi.stubEnv('BERTH_TOKEN_FILE', join(scratch, 'missing'));
    const error = (await new HttpDeploymentClient('http://127.0.0.1:9?server=mlflow')
      .listEndpoints()
      .catch((caught: unknown) => caught)) as BerthError;
    expect(error.message).toMatch(/BERTH_TOKEN_FILE names .*missing, which cannot be read \(ENOENT\)/);
  });
});

describe('401 and 403', () => {
  const refusing = (status: number, code: string, message: string) =>
    startLoopbackServer((_request, response) =>
      answerJson(response, status, { error_code: code, message }, { 'www-authenticate': 'Bearer realm="berth"' }),
    );

  it('401 without credentials says to set BERTH_TOKEN', async () => {
    const server = await refusing(401, 'UNAUTHENTICATED', 'A bearer token is required.');
    const error = (await new HttpDeploymentClient(server.url)
      .listDeployments()
      .catch((caught: unknown) => caught)) as BerthError;
    expect(error.code).toBe('UNAUTHENTICATED');
    expect(error.exitCode).toBe(8);
    expect(error.message).toBe(
      `The server needs credentials (401 Unauthorized) for GET ${server.url}/api/berth/v1/server, and none are set. The server said: A bearer token is required.`,
    );
    expect(error.suggestions[0]).toContain('Set BERTH_TOKEN');
  });

  it('401 with a wrong token names the variable, never the token', async () => {
    vi.stubEnv('BERTH_TOKEN', 'wrong-token-0123456789');
    const server = await refusing(401, 'UNAUTHENTICATED', 'The token is not valid.');
    const error = (await new HttpDeploymentClient(server.url)
      .listDeployments()
      .catch((caught: unknown) => caught)) as BerthError;
    expect(error.message).toContain('The server refused the credentials from BERTH_TOKEN (401 Unauthorized)');
    expect(JSON.stringify({ message: error.message, suggestions: error.suggestions })).not.toContain('wrong-token');
  });

  it('403 explains what a read-only token may do', async () => {
    vi.stubEnv('MLFLOW_TRACKING_TOKEN', 'read-only-token-0123456');
    const server = await refusing(403, 'PERMISSION_DENIED', 'This token is read-only.');
    const error = (await new HttpDeploymentClient(`${server.url}?server=berth`)
      .deleteDeployment('iris')
      .catch((caught: unknown) => caught)) as BerthError;
    expect(error.code).toBe('PERMISSION_DENIED');
    expect(error.message).toBe(
      `The credentials from MLFLOW_TRACKING_TOKEN are not allowed to DELETE ${server.url}/api/berth/v1/deployments/iris (403 Forbidden). The server said: This token is read-only.`,
    );
    expect(error.suggestions[0]).toContain('read-only token may list, get and predict');
  });
});

describe('TLS', () => {
  const httpsServer = (options: { requestCert?: boolean } = {}) =>
    startLoopbackServer(
      (request, response) => {
        const socket = response.req.socket as TLSSocket;
        const peer = socket.getPeerCertificate?.();
        answerJson(response, 200, {
          endpoints: [{ name: peer?.subject?.CN ?? 'anonymous', endpoint_url: request.url }],
        });
      },
      {
        key: pem('server-key.pem'),
        cert: pem('server.pem'),
        ...(options.requestCert ? { requestCert: true, rejectUnauthorized: true, ca: pem('ca.pem') } : {}),
      },
    );

  it('an unknown CA fails verification', async () => {
    const server = await httpsServer();
    const error = (await new HttpDeploymentClient(`${server.url}?server=mlflow`)
      .listEndpoints()
      .catch((caught: unknown) => caught)) as BerthError;
    expect(error.message).toMatch(
      /fetch failed \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|unable to verify)/,
    );
  });

  it('MLFLOW_TRACKING_SERVER_CERT_PATH (or BERTH_SERVER_CERT_PATH) verifies against that CA', async () => {
    const server = await httpsServer();
    vi.stubEnv('MLFLOW_TRACKING_SERVER_CERT_PATH', join(tls, 'ca.pem'));
    const client = new HttpDeploymentClient(`${server.url}?server=mlflow`);
    expect((await client.listEndpoints()).map((endpoint) => endpoint.name)).toEqual(['anonymous']);
    await client.close();
  });

  it('MLFLOW_TRACKING_INSECURE_TLS=true skips verification', async () => {
    const server = await httpsServer();
    vi.stubEnv('MLFLOW_TRACKING_INSECURE_TLS', 'true');
    const client = new HttpDeploymentClient(`${server.url}?server=mlflow`);
    expect(await client.listEndpoints()).toHaveLength(1);
    await client.close();
  });

  it('refuses INSECURE_TLS together with a CA bundle, as MLflow does', () => {
    vi.stubEnv('BERTH_INSECURE_TLS', '1');
    vi.stubEnv('MLFLOW_TRACKING_SERVER_CERT_PATH', join(tls, 'ca.pem'));
    expect(() => new HttpDeploymentClient('https://127.0.0.1:9')).toThrow(
      /BERTH_INSECURE_TLS is true and MLFLOW_TRACKING_SERVER_CERT_PATH is set; only one of them may be set/,
    );
    vi.stubEnv('BERTH_INSECURE_TLS', 'maybe');
    expect(() => new HttpDeploymentClient('https://127.0.0.1:9')).toThrow(/Invalid BERTH_INSECURE_TLS: "maybe"/);
  });

  it('MLFLOW_TRACKING_CLIENT_CERT_PATH presents a client certificate (cert and key in one PEM)', async () => {
    const server = await httpsServer({ requestCert: true });
    vi.stubEnv('BERTH_SERVER_CERT_PATH', join(tls, 'ca.pem'));
    const without = new HttpDeploymentClient(`${server.url}?server=mlflow`);
    await expect(without.listEndpoints()).rejects.toThrow(/fetch failed/);
    await without.close();
    vi.stubEnv('MLFLOW_TRACKING_CLIENT_CERT_PATH', join(tls, 'client.pem'));
    const client = new HttpDeploymentClient(`${server.url}?server=mlflow`);
    expect((await client.listEndpoints()).map((endpoint) => endpoint.name)).toEqual(['berth test client']);
    await client.close();
  });
});
