import { BerthError } from '@berth/core';
import { HttpError } from '@berth/core/http';
import { parseErrorBody, parseServerInfo, type ServerInfo } from './berth-schemas.js';
import type { HttpConnection } from './http-connection.js';
import { API_PREFIX } from './operation-poller.js';

export type Detected = { kind: 'berth'; info: ServerInfo } | { kind: 'mlflow' };

/** The API version this client speaks. */
const API_VERSION = 'v1';

/**
 * Asks `GET /api/berth/v1/server`: a Berth server describes itself there. An MLflow AI Gateway has
 * no such route (404 `{"detail":"Not Found"}`, or 405) and answers `GET /health`, which makes it
 * MLflow mode. Once per client; `?server=` in the URI or `BERTH_SERVER_KIND` skips it.
 */
export async function detectServer(connection: HttpConnection, signal?: AbortSignal): Promise<Detected> {
  const path = `${API_PREFIX}/server`;
  let body: unknown;
  try {
    ({ body } = await connection.sendJson('GET', path, { timeout: 'request', signal }));
  } catch (error) {
    if (HttpError.isInstance(error) && (error.statusCode === 404 || error.statusCode === 405)) {
      if (parseErrorBody(error.responseBody)) throw otherVersion(connection, 'does not know the route');
      await expectGateway(connection, error, signal);
      return { kind: 'mlflow' };
    }
    throw error;
  }
  const info = parseServerInfo(body, `GET ${connection.urlFor(path)}`);
  if (info.api !== API_VERSION) throw otherVersion(connection, `speaks API ${info.api}`);
  return { kind: 'berth', info };
}

/**
 * Not a Berth server: it must at least answer MLflow's `GET /health`, or the URI points at
 * something else (a wrong port, a proxy's 404 page), which "an MLflow AI Gateway cannot …" would
 * misdescribe.
 */
async function expectGateway(connection: HttpConnection, berthMiss: HttpError, signal?: AbortSignal): Promise<void> {
  try {
    await connection.sendJson('GET', '/health', { timeout: 'request', signal });
  } catch (error) {
    if (!HttpError.isInstance(error) || error.statusCode === undefined) throw error;
    throw new BerthError(
      `The server at ${connection.baseUrl} is neither a Berth server (GET ${API_PREFIX}/server answered ${berthMiss.statusCode}) nor an MLflow AI Gateway (GET /health answered ${error.statusCode}).`,
      {
        code: 'RESOURCE_DOES_NOT_EXIST',
        suggestions: [
          "Check the URI: it is the base URL of a server started with 'berth serve' or 'mlflow gateway start' (host, port, and any base path).",
        ],
      },
    );
  }
}

function otherVersion(connection: HttpConnection, what: string): BerthError {
  return new BerthError(
    `The Berth server at ${connection.baseUrl} ${what} ${API_PREFIX}/server; this client speaks API ${API_VERSION}.`,
    {
      code: 'INVALID_STATE',
      suggestions: ['Install matching versions of @berth/target-http (here) and @berth/server (on the server).'],
    },
  );
}
