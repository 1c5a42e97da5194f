import { JSON_TYPE, TEXT_TYPE } from './answers.js';
import { negotiateContentType } from './content-type.js';
import type { Exchange } from './exchange.js';
import type { RouteTable } from './route-table.js';
import { type ErrorReply, errorReplyJson, parseErrorReply, predictErrorReply } from './scoring-errors.js';
import { predictWithDeadline, type ServerContext, scoreWithDeadline } from './server-context.js';

const NEWLINE = Buffer.from('\n');

/**
 * MLflow's scoring protocol: `/ping`, `/health`, `/version` and `POST /invocations`, which reads
 * the body, negotiates the content type, predicts and answers by hand (it is the hot route).
 * `stream`, in SageMaker mode, takes the requests that ask for a streamed answer.
 */
export function addMlflowRoutes(
  routes: RouteTable,
  context: ServerContext,
  stream?: (exchange: Exchange) => boolean,
): void {
  const health = (exchange: Exchange) => exchange.send(context.isReady() ? 200 : 503, JSON_TYPE, NEWLINE);
  routes.add('GET', '/ping', { label: '/ping', protocol: 'mlflow', readsBody: false, handle: health });
  routes.add('GET', '/health', { label: '/health', protocol: 'mlflow', readsBody: false, handle: health });
  routes.add('GET', '/version', {
    label: '/version',
    protocol: 'mlflow',
    readsBody: false,
    handle: (exchange) => exchange.send(200, JSON_TYPE, context.version),
  });
  routes.add('POST', '/invocations', {
    label: '/invocations',
    protocol: 'mlflow',
    readsBody: true,
    handle: (exchange) => {
      if (stream?.(exchange)) return;
      const decision = negotiateContentType(exchange.request.headers['content-type']);
      if (!decision.ok) return exchange.send(decision.status, TEXT_TYPE, decision.message);
      const { body } = exchange;
      // Large bodies go to a worker undecoded (moved, not copied): decoding, parsing and
      // serializing them would hold the event loop for tens of milliseconds.
      if (context.current().runner.prefersWorkerFor(body.byteLength)) {
        return scoreLarge(exchange, exchange.bodyIsCopy ? body : Buffer.from(body), decision.format);
      }
      return score(exchange, body, decision.format);
    },
  });

  const sendError = (exchange: Exchange, error: ErrorReply) =>
    exchange.send(error.status, JSON_TYPE, errorReplyJson(error, context.stackTraces));

  const predictFailed = (exchange: Exchange, error: unknown, input: Parameters<typeof predictErrorReply>[1]) => {
    const answer = predictErrorReply(error, input);
    if (answer.status >= 500 && answer.status !== 504) {
      context.logger.error({ err: error, url: exchange.request.url?.split('?')[0] }, 'prediction failed');
    }
    sendError(exchange, answer);
  };

  async function score(exchange: Exchange, body: Uint8Array, format: 'json' | 'csv'): Promise<void> {
    const slot = context.current();
    let parsed: ReturnType<typeof context.modelModule.parseScoringRequest>;
    try {
      parsed = context.modelModule.parseScoringRequest(body, format, slot.signature);
    } catch (error) {
      return sendError(exchange, parseErrorReply(error));
    }
    try {
      const outcome = await predictWithDeadline(context, slot, parsed.input, parsed.params);
      exchange.send(200, JSON_TYPE, context.modelModule.predictionsToJSON(outcome.output));
    } catch (error) {
      predictFailed(exchange, error, parsed.input);
    }
  }

  async function scoreLarge(exchange: Exchange, body: Uint8Array, format: 'json' | 'csv'): Promise<void> {
    try {
      const outcome = await scoreWithDeadline(context, context.current(), body, format);
      if (outcome.ok) return exchange.send(200, JSON_TYPE, outcome.json);
      if (outcome.phase === 'parse') return sendError(exchange, parseErrorReply(outcome.error));
      return sendError(exchange, predictErrorReply(outcome.error, outcome.inputDescription));
    } catch (error) {
      predictFailed(exchange, error, 'input');
    }
  }
}
