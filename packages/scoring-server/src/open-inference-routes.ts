import { randomUUID } from 'node:crypto';
import { errorAnswer, OIP_JSON_TYPE } from './answers.js';
import type { Exchange } from './exchange.js';
import { modelInputFromOip, modelMetadata, OipError, oipOutputs, parseInferRequest } from './open-inference.js';
import type { RouteTable } from './route-table.js';
import { predictErrorReply } from './scoring-errors.js';
import { predictWithDeadline, type ServerContext } from './server-context.js';

/** The 404 for a path naming another model (or another version), else undefined. */
function modelMismatch(context: ServerContext, name: string, version: string | undefined): string | undefined {
  if (name !== context.modelName) {
    return `Model '${name}' is not served here; this server serves '${context.modelName}'`;
  }
  if (version !== undefined && context.modelVersion !== undefined && version !== context.modelVersion) {
    return `Version '${version}' of model '${name}' is not served here; the served version is '${context.modelVersion}'`;
  }
  return undefined;
}

/** Open Inference Protocol v2 REST routes: server and model metadata, health, readiness, infer. */
export function addOpenInferenceRoutes(routes: RouteTable, context: ServerContext): void {
  const json = (exchange: Exchange, status: number, value: unknown) =>
    exchange.send(status, OIP_JSON_TYPE, JSON.stringify(value));
  /** Answers 404 unless the path names the served model (and its version, when one is configured). */
  const servesModel = (exchange: Exchange): boolean => {
    const mismatch = modelMismatch(context, exchange.params.name as string, exchange.params.version);
    if (mismatch === undefined) return true;
    exchange.answer(errorAnswer('oip', 404, 'RESOURCE_DOES_NOT_EXIST', mismatch));
    return false;
  };
  const get = (path: string, handle: (exchange: Exchange) => void) =>
    routes.add('GET', path, { label: path, protocol: 'oip', readsBody: false, handle });

  get('/v2', (exchange) =>
    json(exchange, 200, { name: 'berth-scoring-server', version: context.version, extensions: [] }),
  );
  get('/v2/health/live', (exchange) => json(exchange, 200, { live: true }));
  get('/v2/health/ready', (exchange) => {
    const ready = context.isReady();
    json(exchange, ready ? 200 : 503, { ready });
  });
  const infer = createOipInfer(context);
  for (const prefix of ['/v2/models/:name', '/v2/models/:name/versions/:version']) {
    get(prefix, (exchange) => {
      if (!servesModel(exchange)) return;
      const slot = context.current();
      json(exchange, 200, modelMetadata(context.modelName, context.modelVersion, slot.flavor, slot.signature));
    });
    get(`${prefix}/ready`, (exchange) => {
      if (!servesModel(exchange)) return;
      const ready = context.isReady();
      json(exchange, ready ? 200 : 503, { name: context.modelName, ready });
    });
    routes.add('POST', `${prefix}/infer`, {
      label: `${prefix}/infer`,
      protocol: 'oip',
      readsBody: true,
      handle: async (exchange) => {
        const { params, request } = exchange;
        const answer = await infer(
          exchange.body.toString('utf8'),
          request.headers['content-type'],
          params.name as string,
          params.version,
        );
        exchange.send(answer.status, OIP_JSON_TYPE, answer.body);
      },
    });
  }
}

/** One OIP inference request's answer: status and JSON body. */
type OipInfer = (
  body: string,
  contentType: string | undefined,
  name: string,
  version: string | undefined,
) => Promise<{ status: number; body: string }>;

/**
 * `POST /v2/models/{name}[/versions/{version}]/infer`: checks the model named, the content type and
 * the request, predicts under the deadline and answers `{model_name, model_version?, id, outputs}`
 * or `{"error": message}`. Errors that are not the request's or the model's reject.
 */
function createOipInfer(context: ServerContext): OipInfer {
  const error = (status: number, message: string) => ({ status, body: JSON.stringify({ error: message }) });
  return async (text, contentType, name, version) => {
    const mismatch = modelMismatch(context, name, version);
    if (mismatch !== undefined) return error(404, mismatch);
    // OIP clients send JSON under application/json, text/plain (fetch's default) or no type at all.
    if (contentType !== undefined && !/^\s*(application\/json|text\/plain)\s*(;|$)/i.test(contentType)) {
      return error(415, `Inference requests must be JSON (application/json); got '${contentType}'`);
    }
    const slot = context.current();
    let body: ReturnType<typeof parseInferRequest>;
    let input: ReturnType<typeof modelInputFromOip>;
    try {
      body = parseInferRequest(text);
      input = modelInputFromOip(body, slot.signature);
    } catch (failure) {
      if (failure instanceof OipError) return error(failure.status, failure.message);
      throw failure;
    }
    const params = slot.signature?.params && body.parameters ? { ...body.parameters } : undefined;
    let outcome: Awaited<ReturnType<typeof predictWithDeadline>>;
    try {
      outcome = await predictWithDeadline(context, slot, input, params);
    } catch (failure) {
      const answer = predictErrorReply(failure, input);
      if (answer.status >= 500 && answer.status !== 504) {
        context.logger.error({ err: failure, model: name }, 'prediction failed');
      }
      return error(answer.status, answer.body.message);
    }
    try {
      const outputs = oipOutputs(
        outcome.output,
        body.outputs?.map((output) => output.name),
      );
      return {
        status: 200,
        body: JSON.stringify({
          model_name: context.modelName,
          ...(context.modelVersion ? { model_version: context.modelVersion } : {}),
          id: body.id ?? randomUUID(),
          outputs,
        }),
      };
    } catch (failure) {
      if (failure instanceof OipError) return error(failure.status, failure.message);
      const answer = predictErrorReply(failure, input);
      return error(answer.status, answer.body.message);
    }
  };
}
