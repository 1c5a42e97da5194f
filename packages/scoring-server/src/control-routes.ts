import { BerthError } from '@berth/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { bearerCheck } from './bearer-auth.js';
import { sendMlflowError } from './mlflow-routes.js';
import type { ServerContext } from './server-context.js';

const swapBody = z.object({ modelUri: z.string().min(1), flavor: z.string().min(1).optional() });

/**
 * The control channel used by the local target: swap the model, read status. Registered only
 * when a token is configured (otherwise these paths are plain 404s), and every call needs
 * `Authorization: Bearer <token>`.
 */
export function registerControlRoutes(app: FastifyInstance, context: ServerContext, token: string): void {
  const tokenMatches = bearerCheck(token);
  const authorize = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!tokenMatches(request.headers.authorization)) {
      reply.header('www-authenticate', 'Bearer');
      return sendMlflowError(reply, {
        status: 401,
        body: { error_code: 'UNAUTHENTICATED', message: 'The control channel needs Authorization: Bearer <token>' },
      });
    }
  };

  app.post('/-/berth/swap', { onRequest: authorize }, async (request, reply) => {
    let body: z.infer<typeof swapBody>;
    try {
      body = swapBody.parse(JSON.parse(typeof request.body === 'string' ? request.body : ''));
    } catch (error) {
      return sendMlflowError(reply, {
        status: 400,
        body: {
          error_code: 'INVALID_PARAMETER_VALUE',
          message: `The swap body must be {"modelUri": string, "flavor"?: string}: ${(error as Error).message}`,
        },
      });
    }
    try {
      const result = await context.swap(body.modelUri, body.flavor);
      return reply.send(result);
    } catch (error) {
      const berth = BerthError.isInstance(error);
      const status = berth ? error.httpStatus : 500;
      return sendMlflowError(reply, {
        status,
        body: {
          error_code: berth ? error.code : 'INTERNAL_ERROR',
          message: `The new model failed to load or to pass its readiness check; the old model keeps serving. ${(error as Error).message}`,
        },
      });
    }
  });

  app.get('/-/berth/status', { onRequest: authorize }, async (_request, reply) => {
    const slot = context.current();
    return reply.send({
      modelUri: slot.modelUri,
      flavor: slot.flavor,
      pid: process.pid,
      startedAt: context.startedAt.toISOString(),
      loadedAt: slot.loadedAt.toISOString(),
      requestsServed: context.requestsServed(),
      inFlight: slot.inFlight,
    });
  });
}
