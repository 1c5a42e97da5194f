import { BerthError } from '@berth/core';
import { z } from 'zod';
import { errorAnswer, OIP_JSON_TYPE, unauthenticated } from './answers.js';
import { bearerCheck } from './bearer-auth.js';
import type { Exchange } from './exchange.js';
import type { RouteTable } from './route-table.js';
import type { ServerContext } from './server-context.js';

const swapBody = z.object({ modelUri: z.string().min(1), flavor: z.string().min(1).optional() });

/**
 * The control channel used by the local target: swap the model, read status. Added only when a
 * token is configured (otherwise these paths are plain 404s), and every call needs
 * `Authorization: Bearer <token>`.
 */
export function addControlRoutes(routes: RouteTable, context: ServerContext, token: string): void {
  const tokenMatches = bearerCheck(token);
  const authorized = (exchange: Exchange): boolean => {
    if (tokenMatches(exchange.request.headers.authorization)) return true;
    exchange.answer(unauthenticated('mlflow', 'The control channel needs Authorization: Bearer <token>'));
    return false;
  };

  routes.add('POST', '/-/berth/swap', {
    label: '/-/berth/swap',
    protocol: 'mlflow',
    readsBody: true,
    handle: async (exchange) => {
      if (!authorized(exchange)) return;
      let body: z.infer<typeof swapBody>;
      try {
        body = swapBody.parse(JSON.parse(exchange.body.toString('utf8')));
      } catch (error) {
        const message = `The swap body must be {"modelUri": string, "flavor"?: string}: ${(error as Error).message}`;
        return exchange.answer(errorAnswer('mlflow', 400, 'INVALID_PARAMETER_VALUE', message));
      }
      try {
        const result = await context.swap(body.modelUri, body.flavor);
        exchange.send(200, OIP_JSON_TYPE, JSON.stringify(result));
      } catch (error) {
        const berth = BerthError.isInstance(error);
        const message = `The new model failed to load or to pass its readiness check; the old model keeps serving. ${(error as Error).message}`;
        exchange.answer(
          errorAnswer('mlflow', berth ? error.httpStatus : 500, berth ? error.code : 'INTERNAL_ERROR', message),
        );
      }
    },
  });

  routes.add('GET', '/-/berth/status', {
    label: '/-/berth/status',
    protocol: 'mlflow',
    readsBody: false,
    handle: (exchange) => {
      if (!authorized(exchange)) return;
      const slot = context.current();
      const status = {
        modelUri: slot.modelUri,
        flavor: slot.flavor,
        pid: process.pid,
        startedAt: context.startedAt.toISOString(),
        loadedAt: slot.loadedAt.toISOString(),
        requestsServed: context.requestsServed(),
        inFlight: slot.inFlight,
      };
      exchange.send(200, OIP_JSON_TYPE, JSON.stringify(status));
    },
  });
}
