import type { ServerResponse } from 'node:http';
import { type ErrorReply, errorReply } from './error-reply.js';

/**
 * Answers with the chunks of a target's `predictStream` as server-sent events: `data: {json}` per
 * chunk, `data: [DONE]` after the last. A failure before the first chunk is an ordinary error answer
 * (`sendError`); one after the stream started is an `event: error` frame that ends the stream without
 * `[DONE]`. No comment lines: MLflow's SSE reader fails on a line without a `data` key.
 *
 * Resolves once the answer is over; a client that goes away stops the target's stream.
 */
export async function streamPredictions(
  response: ServerResponse,
  chunks: AsyncIterable<unknown>,
  sendError: (reply: ErrorReply) => void,
): Promise<'done' | 'error' | 'closed'> {
  let iterator: AsyncIterator<unknown>;
  let item: IteratorResult<unknown>;
  try {
    iterator = chunks[Symbol.asyncIterator]();
    item = await iterator.next();
  } catch (error) {
    sendError(errorReply(error));
    return 'error';
  }

  let gone = false;
  const onClose = () => {
    if (response.writableFinished) return;
    gone = true;
    // Stop the target's work; its return() may itself be async or throw: neither matters now.
    Promise.resolve()
      .then(() => iterator.return?.())
      .catch(() => undefined);
  };
  response.once('close', onClose);
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-accel-buffering': 'no',
  });
  response.flushHeaders();

  try {
    while (!item.done) {
      if (gone) return 'closed';
      if (!(await write(response, `data: ${JSON.stringify(item.value)}\n\n`))) return 'closed';
      item = await iterator.next();
    }
  } catch (error) {
    if (gone) return 'closed';
    const { body } = errorReply(error);
    response.end(`event: error\ndata: ${JSON.stringify(body)}\n\n`);
    return 'error';
  } finally {
    response.off('close', onClose);
  }
  if (gone) return 'closed';
  response.end('data: [DONE]\n\n');
  return 'done';
}

/** Writes one frame, waiting for the socket to drain when it is full; false when the client went away. */
function write(response: ServerResponse, frame: string): Promise<boolean> {
  if (response.destroyed) return Promise.resolve(false);
  if (response.write(frame)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      response.off('drain', onDrain);
      response.off('close', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    response.once('drain', onDrain);
    response.once('close', onClose);
  });
}
