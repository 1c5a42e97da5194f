import type { FastifyInstance, FastifyReply } from 'fastify';
import { negotiateContentType } from './content-type.js';
import { type ErrorReply, parseErrorReply, predictErrorReply } from './scoring-errors.js';
import { predictWithDeadline, type ServerContext } from './server-context.js';

export function sendMlflowError(reply: FastifyReply, error: ErrorReply): FastifyReply {
  return reply.code(error.status).type('application/json').send(JSON.stringify(error.body));
}

/** MLflow's scoring protocol: /ping, /health, /version, /invocations. */
export function registerMlflowRoutes(app: FastifyInstance, context: ServerContext): void {
  const health = async (_request: unknown, reply: FastifyReply) => {
    if (!context.isReady()) return reply.code(503).type('application/json').send('\n');
    return reply.type('application/json').send('\n');
  };
  app.get('/ping', health);
  app.get('/health', health);
  app.get('/version', async (_request, reply) => reply.type('application/json').send(context.version));

  app.post('/invocations', async (request, reply) => {
    const decision = negotiateContentType(request.headers['content-type']);
    if (!decision.ok) return reply.code(decision.status).type('text/plain; charset=utf-8').send(decision.message);
    const slot = context.current();
    let parsed: ReturnType<typeof context.modelModule.parseScoringRequest>;
    try {
      parsed = context.modelModule.parseScoringRequest(
        typeof request.body === 'string' ? request.body : '',
        decision.format,
        slot.signature,
      );
    } catch (error) {
      return sendMlflowError(reply, parseErrorReply(error));
    }
    try {
      const outcome = await predictWithDeadline(context, slot, parsed.input, parsed.params);
      return reply.type('application/json').send(context.modelModule.predictionsToJSON(outcome.output));
    } catch (error) {
      const answer = predictErrorReply(error, parsed.input);
      if (answer.status >= 500) context.logger.error({ err: error }, 'prediction failed');
      return sendMlflowError(reply, answer);
    }
  });
}
