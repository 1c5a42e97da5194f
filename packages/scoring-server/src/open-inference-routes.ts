import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { modelInputFromOip, modelMetadata, OipError, oipOutputs, parseInferRequest } from './open-inference.js';
import { predictErrorReply } from './scoring-errors.js';
import { predictWithDeadline, type ServerContext } from './server-context.js';

type ModelParams = { name: string; version?: string };

function sendOipError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply
    .code(status)
    .type('application/json')
    .send(JSON.stringify({ error: message }));
}

/** Open Inference Protocol v2 REST routes, but for `infer` (a hot route: see hot-routes.ts). */
export function registerOpenInferenceRoutes(app: FastifyInstance, context: ServerContext): void {
  /** 404 unless the path names the served model (and its version, when one is configured). */
  const checkModel = (request: FastifyRequest, reply: FastifyReply): boolean => {
    const { name, version } = request.params as ModelParams;
    if (name !== context.modelName) {
      sendOipError(reply, 404, `Model '${name}' is not served here; this server serves '${context.modelName}'`);
      return false;
    }
    if (version !== undefined && context.modelVersion !== undefined && version !== context.modelVersion) {
      sendOipError(
        reply,
        404,
        `Version '${version}' of model '${name}' is not served here; the served version is '${context.modelVersion}'`,
      );
      return false;
    }
    return true;
  };

  app.get('/v2', async (_request, reply) =>
    reply.send({ name: 'berth-scoring-server', version: context.version, extensions: [] }),
  );
  app.get('/v2/health/live', async (_request, reply) => reply.send({ live: true }));
  app.get('/v2/health/ready', async (_request, reply) => {
    const ready = context.isReady();
    return reply.code(ready ? 200 : 503).send({ ready });
  });

  const metadata = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!checkModel(request, reply)) return reply;
    const slot = context.current();
    return reply.send(modelMetadata(context.modelName, context.modelVersion, slot.flavor, slot.signature));
  };
  const ready = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!checkModel(request, reply)) return reply;
    const isReady = context.isReady();
    return reply.code(isReady ? 200 : 503).send({ name: context.modelName, ready: isReady });
  };
  for (const prefix of ['/v2/models/:name', '/v2/models/:name/versions/:version']) {
    app.get(prefix, metadata);
    app.get(`${prefix}/ready`, ready);
  }
}

/** One OIP inference request's answer: status and JSON body. */
export type OipInfer = (
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
export function createOipInfer(context: ServerContext): OipInfer {
  const error = (status: number, message: string) => ({ status, body: JSON.stringify({ error: message }) });
  return async (text, contentType, name, version) => {
    if (name !== context.modelName) {
      return error(404, `Model '${name}' is not served here; this server serves '${context.modelName}'`);
    }
    if (version !== undefined && context.modelVersion !== undefined && version !== context.modelVersion) {
      return error(
        404,
        `Version '${version}' of model '${name}' is not served here; the served version is '${context.modelVersion}'`,
      );
    }
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
