/**
 * Response streaming for SageMaker's `InvokeEndpointWithResponseStream`.
 *
 * SageMaker forwards the caller's `Accept` to the container's `POST /invocations` and relays the
 * answer's HTTP chunks as `PayloadPart` events as they arrive. It tells the container nothing else
 * about the call, so the request asks for a stream by its `Accept`: `application/jsonlines` (the
 * name SageMaker's own algorithms use for JSON Lines) or `application/x-ndjson`. The answer is
 * chunked, one `{"predictions": [...]}` line per slice of rows, each written as soon as its slice
 * is predicted, so the first rows reach the caller before the last ones are computed.
 *
 * Slice size: `X-Amzn-SageMaker-Custom-Attributes: chunk_rows=N` (SageMaker forwards custom
 * attributes verbatim), default {@link DEFAULT_CHUNK_ROWS}.
 *
 * Errors: before the first line the answer is the usual MLflow error JSON with its status (which
 * SageMaker turns into a `ModelError` carrying that status). Once lines were sent the status is
 * already 200, so a failing slice ends the stream with one line `{"error_code", "message"}` —
 * Berth's client raises it as a `BerthError` with that code.
 */
import type { ServerResponse } from 'node:http';
import { BerthError } from '@berth/core';
import type { ModelInput } from '@berth/model';
import { JSON_TYPE, TEXT_TYPE } from './answers.js';
import { negotiateContentType } from './content-type.js';
import type { Exchange } from './exchange.js';
import { type ErrorReply, errorReplyJson, parseErrorReply, predictErrorReply } from './scoring-errors.js';
import { predictWithDeadline, type ServerContext } from './server-context.js';

export const DEFAULT_CHUNK_ROWS = 100;
const MAX_CHUNK_ROWS = 1_000_000;
const STREAM_TYPES = ['application/jsonlines', 'application/x-ndjson'] as const;

/** The JSON Lines type the request's Accept names, or undefined for an ordinary request. */
export function streamTypeOf(accept: string | undefined): (typeof STREAM_TYPES)[number] | undefined {
  if (accept === undefined) return undefined;
  for (const part of accept.split(',')) {
    const type = (part.split(';')[0] ?? '').trim().toLowerCase();
    const found = STREAM_TYPES.find((candidate) => candidate === type);
    if (found) return found;
  }
  return undefined;
}

/**
 * `chunk_rows=N` from SageMaker custom attributes (`key=value` pairs separated by `;` or `,`;
 * other keys are the model's business and ignored). Throws a message for a bad value.
 */
export function chunkRowsOf(customAttributes: string | undefined): number {
  if (customAttributes === undefined) return DEFAULT_CHUNK_ROWS;
  for (const pair of customAttributes.split(/[;,]/)) {
    const equals = pair.indexOf('=');
    if (equals === -1 || pair.slice(0, equals).trim() !== 'chunk_rows') continue;
    const raw = pair.slice(equals + 1).trim();
    const rows = Number(raw);
    if (!Number.isInteger(rows) || rows < 1 || rows > MAX_CHUNK_ROWS) {
      throw new BerthError(`chunk_rows must be an integer from 1 to ${MAX_CHUNK_ROWS}; got '${raw}'`, {
        code: 'BAD_REQUEST',
      });
    }
    return rows;
  }
  return DEFAULT_CHUNK_ROWS;
}

/** Row count of an input whose every part shares its first dimension, else undefined (not sliceable). */
function sliceableRows(input: ModelInput): number | undefined {
  if (input.kind === 'columns') return input.rowCount;
  let rows: number | undefined;
  for (const tensor of Object.values(input.tensors)) {
    const first = tensor.shape[0];
    if (tensor.shape.length === 0 || first === undefined || first < 0) return undefined;
    if (rows !== undefined && rows !== first) return undefined;
    rows = first;
  }
  return rows;
}

function sliceInput(input: ModelInput, start: number, count: number): ModelInput {
  if (input.kind === 'columns') {
    return {
      kind: 'columns',
      rowCount: count,
      columns: input.columns.map((column) => ({ ...column, values: column.values.slice(start, start + count) })),
    };
  }
  const tensors: Record<string, (typeof input.tensors)[string]> = {};
  for (const [name, tensor] of Object.entries(input.tensors)) {
    let perRow = 1;
    for (const dimension of tensor.shape.slice(1)) perRow *= dimension;
    tensors[name] = {
      dtype: tensor.dtype,
      shape: [count, ...tensor.shape.slice(1)],
      data: tensor.data.slice(start * perRow, (start + count) * perRow),
    };
  }
  return { kind: 'tensors', tensors };
}

/** The input cut into consecutive slices of at most `chunkRows` rows (one slice if it cannot be cut). */
export function sliceRows(input: ModelInput, chunkRows: number): ModelInput[] {
  const rows = sliceableRows(input);
  if (rows === undefined || rows <= chunkRows) return [input];
  const slices: ModelInput[] = [];
  for (let start = 0; start < rows; start += chunkRows) {
    slices.push(sliceInput(input, start, Math.min(chunkRows, rows - start)));
  }
  return slices;
}

/**
 * The streaming side of `POST /invocations` in SageMaker mode: takes the requests whose Accept
 * asks for JSON lines (returns false for the others, which the route answers whole) and writes
 * one line per slice of `chunk_rows` rows as each slice is predicted.
 */
export function createSagemakerStreamHandler(context: ServerContext): (exchange: Exchange) => boolean {
  return (exchange) => {
    const { request, response, record } = exchange;
    const streamType = streamTypeOf(request.headers.accept);
    if (streamType === undefined) return false;
    const answerError = (error: ErrorReply) =>
      exchange.send(error.status, JSON_TYPE, errorReplyJson(error, context.stackTraces));

    let chunkRows: number;
    try {
      chunkRows = chunkRowsOf(headerValue(request.headers['x-amzn-sagemaker-custom-attributes']));
    } catch (error) {
      answerError({ status: 400, body: { error_code: 'BAD_REQUEST', message: (error as Error).message } });
      return true;
    }
    const decision = negotiateContentType(request.headers['content-type']);
    if (!decision.ok) {
      exchange.send(decision.status, TEXT_TYPE, decision.message);
      return true;
    }
    void stream(exchange.body, decision.format).catch((error: unknown) => {
      context.logger.error({ err: error }, 'streaming answer failed');
      if (!response.headersSent) {
        answerError({ status: 500, body: { error_code: 'INTERNAL_ERROR', message: 'Internal server error' } });
      } else {
        response.destroy();
        record.answered(500);
      }
    });
    return true;

    async function stream(body: Uint8Array, format: 'json' | 'csv'): Promise<void> {
      const slot = context.current();
      let parsed: ReturnType<typeof context.modelModule.parseScoringRequest>;
      try {
        parsed = context.modelModule.parseScoringRequest(body, format, slot.signature);
      } catch (error) {
        return answerError(parseErrorReply(error));
      }
      let gone = false;
      response.on('close', () => {
        gone = !response.writableFinished;
      });
      for (const slice of sliceRows(parsed.input, chunkRows)) {
        if (gone) {
          // The caller stopped reading: predicting the rest would be wasted work.
          return record.answered(499);
        }
        let line: string;
        try {
          const outcome = await predictWithDeadline(context, slot, slice, parsed.params);
          line = `${context.modelModule.predictionsToJSON(outcome.output)}\n`;
        } catch (error) {
          const reply = predictErrorReply(error, slice);
          if (reply.status >= 500 && reply.status !== 504) context.logger.error({ err: error }, 'prediction failed');
          if (!response.headersSent) return answerError(reply);
          response.end(`${JSON.stringify({ error_code: reply.body.error_code, message: reply.body.message })}\n`);
          return record.answered(reply.status);
        }
        if (!response.headersSent) {
          // No content-length: node:http sends the answer chunked, one chunk per write.
          response.writeHead(200, { 'content-type': streamType, 'cache-control': 'no-store' });
        }
        if (!response.write(line)) await waitForDrain(response);
      }
      if (!response.headersSent) response.writeHead(200, { 'content-type': streamType });
      response.end();
      record.answered(200);
    }
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

function waitForDrain(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const settle = () => {
      response.off('drain', settle);
      response.off('close', settle);
      resolve();
    };
    response.on('drain', settle);
    response.on('close', settle);
  });
}
