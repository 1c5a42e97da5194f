import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ErrorReply } from './scoring-errors.js';
import type { ServerContext } from './server-context.js';

export function sendMlflowError(reply: FastifyReply, error: ErrorReply): FastifyReply {
  return reply.code(error.status).type('application/json').send(JSON.stringify(error.body));
}

/** MLflow's scoring protocol: /ping, /health, /version (`POST /invocations` is in hot-routes.ts). */
export function registerMlflowRoutes(app: FastifyInstance, context: ServerContext): void {
  const health = async (_request: unknown, reply: FastifyReply) => {
    if (!context.isReady()) return reply.code(503).type('application/json').send('\n');
    return reply.type('application/json').send('\n');
  };
  app.get('/ping', health);
  app.get('/health', health);
  app.get('/version', async (_request, reply) => reply.type('application/json').send(context.version));
}
