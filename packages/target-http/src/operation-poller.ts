import { setTimeout as sleep } from 'node:timers/promises';
import type { OperationOptions } from '@berth/core';
import { BerthError } from '@berth/core';
import { HttpError } from '@berth/core/http';
import { type OperationResource, parseBerthAnswer } from './berth-schemas.js';
import type { HttpConnection } from './http-connection.js';

export const API_PREFIX = '/api/berth/v1';

/** What the poller needs to say about the operation it waits for. */
export interface OperationContext {
  /** `creating deployment 'iris'` */
  doing: string;
  /** How to look at the resource afterwards: `berth get -t … --name iris`. */
  checkCommand: string;
  /** Reads the resource now, for the report when the operation is lost; RESOURCE_DOES_NOT_EXIST when absent. */
  readNow: () => Promise<Record<string, unknown>>;
  /** Turns a failed operation's error JSON into the error to throw. */
  failure: (error: NonNullable<OperationResource['error']>) => Promise<BerthError>;
}

/** Longest server-side wait of one long poll; the request timeout must leave room for it. */
const MAX_WAIT_SECONDS = 20;

/**
 * Follows a server operation to its end with long polls (`GET /operations/{id}?wait=&revision=`,
 * answered at once on every new progress event), forwarding each new event to `onProgress`.
 * Stopping (the signal) leaves the operation running on the server: the events' `interruptHint`
 * says so and how to check on it. A server that no longer knows the operation (it restarted) is
 * reported with what the target's state is now.
 */
export async function awaitOperation(
  connection: HttpConnection,
  first: OperationResource,
  context: OperationContext,
  options: OperationOptions,
): Promise<unknown> {
  const interruptHint = `The server at ${connection.baseUrl} goes on ${context.doing} (operation ${first.id}); check it with '${context.checkCommand}'.`;
  const report = progressReporter(options, interruptHint);
  let operation = first;
  report.start(operation, context.doing);
  const waitSeconds = longPollSeconds(connection);
  while (operation.state === 'running') {
    options.signal?.throwIfAborted();
    const path = `${API_PREFIX}/operations/${encodeURIComponent(operation.id)}`;
    const query = { wait: String(waitSeconds), revision: String(operation.revision) };
    let answer: unknown;
    try {
      ({ body: answer } = await connection.sendJson('GET', path, {
        query,
        timeout: 'request',
        signal: options.signal,
      }));
    } catch (error) {
      if (HttpError.isInstance(error) && error.statusCode === 404)
        throw await operationLost(connection, operation, context);
      if (HttpError.isInstance(error) && error.statusCode === undefined && !options.signal?.aborted) {
        throw contactLost(connection, operation, context, error);
      }
      throw error;
    }
    const revision = operation.revision;
    operation = parseBerthAnswer('operation', answer, `GET ${connection.urlFor(path)}`);
    report.update(operation);
    // An unchanged answer came back at once (a wait of 0, or a server that does not long-poll):
    // a short pause keeps the loop from turning into a busy one.
    if (operation.state === 'running' && operation.revision === revision) {
      await sleep(250, undefined, options.signal ? { signal: options.signal } : {});
    }
  }
  if (operation.state === 'failed') {
    throw await context.failure(
      operation.error ?? {
        error_code: 'INTERNAL_ERROR',
        message: `The server reports ${context.doing} failed, without saying why.`,
      },
    );
  }
  return operation.result ?? null;
}

function longPollSeconds(connection: HttpConnection): number {
  const timeout = connection.timeouts.request.seconds;
  if (!(timeout > 0)) return MAX_WAIT_SECONDS;
  return Math.max(0, Math.min(MAX_WAIT_SECONDS, Math.floor(timeout / 2)));
}

function progressReporter(options: OperationOptions, interruptHint: string) {
  let lastSeq = 0;
  let lastMessage: string | undefined;
  const emit = (event: { message: string; state?: string | undefined; elapsedMs?: number | undefined }) => {
    if (!options.onProgress) return;
    lastMessage = event.message;
    options.onProgress({
      message: event.message,
      ...(event.state !== undefined ? { state: event.state } : {}),
      ...(event.elapsedMs !== undefined ? { elapsedMs: event.elapsedMs } : {}),
      interruptHint,
    });
  };
  return {
    start(operation: OperationResource, doing: string) {
      emit({ message: `${doing}: accepted by the server (operation ${operation.id})`, state: operation.state });
      this.update(operation);
    },
    update(operation: OperationResource) {
      const fresh = (operation.events ?? []).filter((event) => event.seq > lastSeq);
      for (const event of fresh) {
        lastSeq = Math.max(lastSeq, event.seq);
        emit(event);
      }
      // Without an event list (or with events dropped), the latest progress still gets through.
      if (fresh.length === 0 && operation.progress && operation.progress.message !== lastMessage)
        emit(operation.progress);
    },
  };
}

/** The server stopped answering (retries included) while the operation ran: it may go on there. */
function contactLost(
  connection: HttpConnection,
  operation: OperationResource,
  context: OperationContext,
  cause: HttpError,
): BerthError {
  return new BerthError(
    `Lost contact with the server at ${connection.baseUrl} while ${context.doing} (operation ${operation.id}): ${cause.message}. The operation may still be running there.`,
    {
      code: 'TEMPORARILY_UNAVAILABLE',
      cause,
      suggestions: [`When the server answers again, check the result with '${context.checkCommand}'.`],
      details: { operationId: operation.id },
    },
  );
}

async function operationLost(
  connection: HttpConnection,
  operation: OperationResource,
  context: OperationContext,
): Promise<BerthError> {
  let now: string;
  try {
    const resource = await context.readNow();
    now = `${operation.resource.type} '${operation.resource.name}' exists now${
      typeof resource.state === 'string' ? ` (state: ${resource.state})` : ''
    }`;
  } catch (error) {
    now =
      BerthError.isInstance(error) && error.code === 'RESOURCE_DOES_NOT_EXIST'
        ? `${operation.resource.type} '${operation.resource.name}' does not exist now`
        : `its state could not be read (${error instanceof Error ? error.message : String(error)})`;
  }
  return new BerthError(
    `The server at ${connection.baseUrl} no longer knows operation ${operation.id} (${context.doing}): it restarted, or dropped the operation, before this client saw it finish. Whether it completed is not known; ${now}.`,
    {
      code: 'ABORTED',
      suggestions: [
        `Check the result with '${context.checkCommand}', then repeat the command if it did not take effect.`,
      ],
      details: { operationId: operation.id },
    },
  );
}
