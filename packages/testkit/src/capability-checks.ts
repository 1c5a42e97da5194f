import type { TargetConfig } from '@berth/core';
import { describe } from 'vitest';
import {
  describeValue,
  expectBerthError,
  expectNamed,
  expectResolves,
  isRecord,
  violation,
} from './contract-violation.js';
import { expectPredictionsResponse } from './prediction-checks.js';
import { check, type SuiteContext } from './suite-context.js';

/** Bounds a stream the suite reads, so a target that never ends its stream fails instead of hanging. */
const MAX_CHUNKS = 10_000;

export function streamChecks(context: SuiteContext): void {
  const { options, names } = context;
  const declared = options.capabilities?.predictStream === true;
  const what = `predictStream('${names.deployment}', inputs.valid)`;

  describe('streaming predictions', () => {
    if (declared) {
      check(
        context,
        'stream.chunks',
        async () => {
          const chunks: unknown[] = [];
          await expectResolves('stream.chunks', `iterating ${what}`, async () => {
            for await (const chunk of context.client.predictStream(names.deployment, options.inputs.valid)) {
              chunks.push(chunk);
              if (chunks.length >= MAX_CHUNKS)
                violation('stream.chunks', `${what} yielded more than ${MAX_CHUNKS} chunks for one input.`);
            }
          });
          if (chunks.length === 0) violation('stream.chunks', `${what} ended without yielding a chunk.`);
          const bad = chunks.findIndex((chunk) => !isRecord(chunk));
          if (bad >= 0)
            violation(
              'stream.chunks',
              `chunk ${bad} of ${what} is ${describeValue(chunks[bad])}; each chunk is a plain object.`,
            );
        },
        { needs: ['lifecycle.create'] },
      );
    } else {
      check(context, 'stream.not-implemented', async () => {
        await expectBerthError(
          'stream.not-implemented',
          `iterating ${what} on a target declared without predictStream`,
          ['NOT_IMPLEMENTED'],
          async () => {
            for await (const chunk of context.client.predictStream(names.deployment, options.inputs.valid)) {
              return { yielded: chunk };
            }
            return 'an empty stream';
          },
        );
      });
    }
  });
}

export function explainChecks(context: SuiteContext): void {
  const { options, names } = context;
  const what = `explain('${names.deployment}', inputs.valid)`;

  describe('explanations', () => {
    if (options.capabilities?.explain === true) {
      check(
        context,
        'explain.result',
        async () => {
          const explanation = await expectResolves('explain.result', what, () =>
            context.client.explain(names.deployment, options.inputs.valid),
          );
          if (explanation === undefined)
            violation('explain.result', `${what} resolved to undefined; return the explanation.`);
        },
        { needs: ['lifecycle.create'] },
      );
    } else {
      check(context, 'explain.not-implemented', async () => {
        await expectBerthError(
          'explain.not-implemented',
          `${what} on a target declared without explain`,
          ['NOT_IMPLEMENTED'],
          () => context.client.explain(names.deployment, options.inputs.valid),
        );
      });
    }
  });
}

export function endpointChecks(context: SuiteContext): void {
  const { options, names } = context;
  const endpoint = names.endpoint;
  const config = (): TargetConfig => options.endpointConfig?.([names.deployment]) ?? {};

  describe('endpoints', () => {
    if (options.capabilities?.endpoints !== true) {
      check(context, 'endpoints.not-implemented', async () => {
        const calls: [string, () => Promise<unknown>][] = [
          [`createEndpoint('${endpoint}', {})`, () => context.client.createEndpoint(endpoint, {})],
          [`updateEndpoint('${endpoint}', {})`, () => context.client.updateEndpoint(endpoint, {})],
          [`deleteEndpoint('${endpoint}')`, () => context.client.deleteEndpoint(endpoint)],
          ['listEndpoints()', () => context.client.listEndpoints()],
          [`getEndpoint('${endpoint}')`, () => context.client.getEndpoint(endpoint)],
        ];
        for (const [what, call] of calls) {
          await expectBerthError(
            'endpoints.not-implemented',
            `${what} on a target declared without endpoints`,
            ['NOT_IMPLEMENTED'],
            call,
          );
        }
      });
      return;
    }

    check(
      context,
      'endpoints.create',
      async () => {
        const what = `createEndpoint('${endpoint}', ${describeValue(config())})`;
        const created = await expectResolves('endpoints.create', what, () =>
          context.client.createEndpoint(endpoint, config()),
        );
        expectNamed('endpoints.create', what, created, endpoint);
      },
      { needs: ['lifecycle.create'] },
    );

    check(
      context,
      'endpoints.get',
      async () => {
        const what = `getEndpoint('${endpoint}')`;
        expectNamed(
          'endpoints.get',
          what,
          await expectResolves('endpoints.get', what, () => context.client.getEndpoint(endpoint)),
          endpoint,
        );
      },
      { needs: ['endpoints.create'] },
    );

    check(context, 'endpoints.get-missing', async () => {
      await expectBerthError(
        'endpoints.get-missing',
        `getEndpoint('${names.missingEndpoint}') of an endpoint never created`,
        ['RESOURCE_DOES_NOT_EXIST'],
        () => context.client.getEndpoint(names.missingEndpoint),
      );
    });

    check(
      context,
      'endpoints.list',
      async () => {
        const listed = await expectResolves('endpoints.list', 'listEndpoints()', () => context.client.listEndpoints());
        if (!Array.isArray(listed))
          violation(
            'endpoints.list',
            `listEndpoints() must resolve to an array; it resolved to ${describeValue(listed)}.`,
          );
        listed.forEach((entry, index) => {
          if (!isRecord(entry) || typeof entry.name !== 'string') {
            violation(
              'endpoints.list',
              `listEndpoints()[${index}] must be an object with a string "name"; it is ${describeValue(entry)}.`,
            );
          }
        });
        if (!listed.some((entry) => entry.name === endpoint)) {
          violation(
            'endpoints.list',
            `listEndpoints() must include '${endpoint}'; it lists ${describeValue(listed.map((e) => e.name))}.`,
          );
        }
      },
      { needs: ['endpoints.create'] },
    );

    check(
      context,
      'endpoints.predict',
      async () => {
        const what = `predict(undefined, inputs.valid, { endpoint: '${endpoint}' })`;
        expectPredictionsResponse(
          'endpoints.predict',
          what,
          await expectResolves('endpoints.predict', what, () =>
            context.client.predict(undefined, options.inputs.valid, { endpoint }),
          ),
        );
      },
      { needs: ['endpoints.create'] },
    );

    check(
      context,
      'endpoints.update',
      async () => {
        const what = `updateEndpoint('${endpoint}', ${describeValue(config())})`;
        expectNamed(
          'endpoints.update',
          what,
          await expectResolves('endpoints.update', what, () => context.client.updateEndpoint(endpoint, config())),
          endpoint,
        );
      },
      { needs: ['endpoints.create'] },
    );

    check(
      context,
      'endpoints.delete',
      async () => {
        await expectResolves('endpoints.delete', `deleteEndpoint('${endpoint}')`, () =>
          context.client.deleteEndpoint(endpoint),
        );
        await expectBerthError(
          'endpoints.delete',
          `getEndpoint('${endpoint}') after deleting it`,
          ['RESOURCE_DOES_NOT_EXIST'],
          () => context.client.getEndpoint(endpoint),
        );
        const listed = await context.client.listEndpoints();
        if (listed.some((entry) => entry.name === endpoint)) {
          violation('endpoints.delete', `listEndpoints() still includes '${endpoint}' after deleting it.`);
        }
      },
      { needs: ['endpoints.create'] },
    );
  });
}
