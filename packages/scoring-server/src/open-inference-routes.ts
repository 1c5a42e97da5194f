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

/** Open Inference Protocol v2 REST routes. */
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
  const infer = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!checkModel(request, reply)) return reply;
    // OIP clients send JSON under application/json, text/plain (fetch's default) or no type at all.
    const type = request.headers['content-type'];
    if (type !== undefined && !/^\s*(application\/json|text\/plain)\s*(;|$)/i.test(type)) {
      return sendOipError(reply, 415, `Inference requests must be JSON (application/json); got '${type}'`);
    }
    const slot = context.current();
    try {
      const body = parseInferRequest(typeof request.body === 'string' ? request.body : '');
      const input = modelInputFromOip(body, slot.signature);
      const params = slot.signature?.params && body.parameters ? { ...body.parameters } : undefined;
      try {
        const outcome = await predictWithDeadline(context, slot, input, params);
        const outputs = oipOutputs(
          outcome.output,
          body.outputs?.map((output) => output.name),
        );
        return reply.send({
          model_name: context.modelName,
          ...(context.modelVersion ? { model_version: context.modelVersion } : {}),
          id: body.id ?? randomUUID(),
          outputs,
        });
      } catch (error) {
        if (error instanceof OipError) throw error;
        const answer = predictErrorReply(error, input);
        return sendOipError(reply, answer.status, answer.body.message);
      }
    } catch (error) {
      if (error instanceof OipError) return sendOipError(reply, error.status, error.message);
      throw error;
    }
  };

  for (const prefix of ['/v2/models/:name', '/v2/models/:name/versions/:version']) {
    app.get(prefix, metadata);
    app.get(`${prefix}/ready`, ready);
    app.post(`${prefix}/infer`, infer);
  }
}
