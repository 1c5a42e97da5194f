import type { Deployment } from '@berth/core';
import { describe } from 'vitest';
import type { ContractPoint } from './contract-points.js';
import {
  describeValue,
  expectBerthError,
  expectNamed,
  expectResolves,
  isRecord,
  violation,
} from './contract-violation.js';
import { UNKNOWN_CONFIG_KEY } from './module-checks.js';
import { check, type SuiteContext } from './suite-context.js';

/** A reported `state` must be a non-empty string, and one of the declared states when there are any. */
export function checkState(context: SuiteContext, what: string, deployment: Record<string, unknown>): void {
  const { state } = deployment;
  if (state === undefined) return;
  if (typeof state !== 'string' || state === '') {
    violation(
      'lifecycle.state',
      `${what} reported state ${describeValue(state)}; a state is a non-empty string (e.g. 'ready').`,
    );
  }
  const states = context.options.states;
  if (states && !states.includes(state)) {
    violation(
      'lifecycle.state',
      `${what} reported state '${state}', which is not one of the declared states ${states.join(', ')}.`,
    );
  }
}

/** `modelUri`, where the target reports it, must be the URI the deployment was given. */
function checkModelUri(
  point: ContractPoint,
  what: string,
  deployment: Record<string, unknown>,
  expected: string,
): void {
  if (deployment.modelUri !== undefined && deployment.modelUri !== expected) {
    violation(
      point,
      `${what} reports modelUri ${describeValue(deployment.modelUri)}; expected ${JSON.stringify(expected)} (the URI it was given).`,
    );
  }
}

function checkListing(point: ContractPoint, what: string, listed: unknown): Record<string, unknown>[] {
  if (!Array.isArray(listed))
    violation(point, `${what} must resolve to an array; it resolved to ${describeValue(listed)}.`);
  listed.forEach((entry, index) => {
    if (!isRecord(entry) || typeof entry.name !== 'string' || entry.name === '') {
      violation(point, `${what}[${index}] must be an object with a string "name"; it is ${describeValue(entry)}.`);
    }
  });
  return listed as Record<string, unknown>[];
}

export function createChecks(context: SuiteContext): void {
  const { options, names } = context;

  let createSettled = false;

  describe('deployment lifecycle: create, get, list', () => {
    check(context, 'lifecycle.create', async () => {
      const what = `createDeployment('${names.deployment}', '${options.models.default}')`;
      const created = await expectResolves('lifecycle.create', what, () =>
        context.client.createDeployment(names.deployment, options.models.default, {
          ...(options.flavor === undefined ? {} : { flavor: options.flavor }),
          ...(options.config === undefined ? {} : { config: options.config }),
          onProgress: (event) => context.progress.push({ event, settled: createSettled }),
        }),
      );
      createSettled = true;
      const deployment = expectNamed('lifecycle.create', what, created, names.deployment);
      checkModelUri('lifecycle.create', what, deployment, options.models.default);
      context.created = deployment;
    });

    check(
      context,
      'lifecycle.create-taken',
      async () => {
        await expectBerthError(
          'lifecycle.create-taken',
          `a second createDeployment('${names.deployment}', …)`,
          ['RESOURCE_ALREADY_EXISTS'],
          () => context.client.createDeployment(names.deployment, options.models.default),
        );
      },
      { needs: ['lifecycle.create'] },
    );

    check(
      context,
      'lifecycle.get',
      async () => {
        const what = `getDeployment('${names.deployment}')`;
        const got = await expectResolves('lifecycle.get', what, () => context.client.getDeployment(names.deployment));
        const deployment = expectNamed('lifecycle.get', what, got, names.deployment);
        checkModelUri('lifecycle.get', what, deployment, options.models.default);
      },
      { needs: ['lifecycle.create'] },
    );

    check(context, 'lifecycle.get-missing', async () => {
      await expectBerthError(
        'lifecycle.get-missing',
        `getDeployment('${names.missing}') of a name never created`,
        ['RESOURCE_DOES_NOT_EXIST'],
        () => context.client.getDeployment(names.missing),
      );
    });

    check(
      context,
      'lifecycle.list',
      async () => {
        const listed = checkListing(
          'lifecycle.list',
          'listDeployments()',
          await expectResolves('lifecycle.list', 'listDeployments()', () => context.client.listDeployments()),
        );
        if (!listed.some((deployment) => deployment.name === names.deployment)) {
          violation(
            'lifecycle.list',
            `listDeployments() must include '${names.deployment}'; it lists ${describeValue(listed.map((d) => d.name))}.`,
          );
        }
      },
      { needs: ['lifecycle.create'] },
    );

    check(
      context,
      'lifecycle.progress',
      async () => {
        // One turn of the timers phase: an event a poll loop queued as the call resolved lands now.
        await new Promise((resolve) => setTimeout(resolve, 0));
        context.progress.forEach(({ event, settled }, index) => {
          const what = `onProgress event ${index} of createDeployment('${names.deployment}', …)`;
          if (!isRecord(event) || typeof event.message !== 'string' || event.message.trim() === '') {
            violation(
              'lifecycle.progress',
              `${what} is ${describeValue(event)}; an event needs a non-empty "message".`,
            );
          }
          for (const key of ['state', 'interruptHint'] as const) {
            if (event[key] !== undefined && typeof event[key] !== 'string') {
              violation('lifecycle.progress', `${what} has ${key} ${describeValue(event[key])}; it must be a string.`);
            }
          }
          if (event.elapsedMs !== undefined && (typeof event.elapsedMs !== 'number' || event.elapsedMs < 0)) {
            violation(
              'lifecycle.progress',
              `${what} has elapsedMs ${describeValue(event.elapsedMs)}; it must be a number ≥ 0.`,
            );
          }
          if (settled) {
            violation(
              'lifecycle.progress',
              `${what} arrived after createDeployment had resolved; stop reporting once the call settles.`,
            );
          }
        });
      },
      { needs: ['lifecycle.create'] },
    );

    check(
      context,
      'lifecycle.state',
      async () => {
        checkState(context, `createDeployment('${names.deployment}', …)`, context.created ?? {});
        const got = (await context.client.getDeployment(names.deployment)) as Deployment;
        checkState(context, `getDeployment('${names.deployment}')`, got);
        for (const listed of await context.client.listDeployments()) {
          checkState(context, `listDeployments() entry '${listed.name}'`, listed);
        }
      },
      { needs: ['lifecycle.get', 'lifecycle.list'] },
    );
  });
}

export function updateDeleteChecks(context: SuiteContext): void {
  const { options, names } = context;
  const updateModel = options.models.update ?? options.models.default;
  const broken = options.models.broken;
  const noBroken = broken === undefined && 'give models.broken to check how the target refuses a broken model';

  describe('deployment lifecycle: update, delete', () => {
    check(
      context,
      'lifecycle.update',
      async () => {
        const what = `updateDeployment('${names.deployment}', { modelUri: '${updateModel}' })`;
        const updated = await expectResolves('lifecycle.update', what, () =>
          context.client.updateDeployment(names.deployment, { modelUri: updateModel }),
        );
        const deployment = expectNamed('lifecycle.update', what, updated, names.deployment);
        checkModelUri('lifecycle.update', what, deployment, updateModel);
        const got = (await context.client.getDeployment(names.deployment)) as Record<string, unknown>;
        checkModelUri('lifecycle.update', `getDeployment('${names.deployment}') after the update`, got, updateModel);
        await expectResolves('lifecycle.update', `predict('${names.deployment}', …) after the update`, () =>
          context.client.predict(names.deployment, options.inputs.valid),
        );
      },
      { needs: ['lifecycle.create'] },
    );

    check(context, 'lifecycle.update-missing', async () => {
      await expectBerthError(
        'lifecycle.update-missing',
        `updateDeployment('${names.missing}', …) of a name never created`,
        ['RESOURCE_DOES_NOT_EXIST'],
        () => context.client.updateDeployment(names.missing, { modelUri: updateModel }),
      );
    });

    check(
      context,
      'lifecycle.update-broken',
      async () => {
        const before = (await context.client.getDeployment(names.deployment)) as Record<string, unknown>;
        await expectBerthError(
          'lifecycle.update-broken',
          `updateDeployment('${names.deployment}', { modelUri: '${broken}' }) of a broken model`,
          'any code',
          () => context.client.updateDeployment(names.deployment, { modelUri: broken as string }),
        );
        const after = (await context.client.getDeployment(names.deployment)) as Record<string, unknown>;
        if (before.modelUri !== undefined && after.modelUri !== before.modelUri) {
          violation(
            'lifecycle.update-broken',
            `after the refused update, getDeployment('${names.deployment}') reports modelUri ${describeValue(after.modelUri)}; the old ${describeValue(before.modelUri)} must stay.`,
          );
        }
        await expectResolves(
          'lifecycle.update-broken',
          `predict('${names.deployment}', …) after the refused update`,
          () => context.client.predict(names.deployment, options.inputs.valid),
        );
      },
      { needs: ['lifecycle.create'], skip: noBroken },
    );

    check(
      context,
      'lifecycle.create-broken',
      async () => {
        await expectBerthError(
          'lifecycle.create-broken',
          `createDeployment('${names.broken}', '${broken}') of a broken model`,
          'any code',
          () => context.client.createDeployment(names.broken, broken as string),
        );
        await expectBerthError(
          'lifecycle.create-broken',
          `getDeployment('${names.broken}') after the refused create (nothing may be kept)`,
          ['RESOURCE_DOES_NOT_EXIST'],
          () => context.client.getDeployment(names.broken),
        );
      },
      // "Nothing kept" is asked of getDeployment, so it needs get-missing (one defect, one failure).
      { needs: ['lifecycle.get-missing'], skip: noBroken },
    );

    check(
      context,
      'config.create-refuses-unknown',
      async () => {
        await expectBerthError(
          'config.create-refuses-unknown',
          `createDeployment('${names.unknownConfig}', …, { config: { ${UNKNOWN_CONFIG_KEY}: 'x' } }) called from code`,
          ['INVALID_PARAMETER_VALUE'],
          () =>
            context.client.createDeployment(names.unknownConfig, options.models.default, {
              config: { ...options.config, [UNKNOWN_CONFIG_KEY]: 'x' },
            }),
        );
        await expectBerthError(
          'config.create-refuses-unknown',
          `getDeployment('${names.unknownConfig}') after the refused create (nothing may be kept)`,
          ['RESOURCE_DOES_NOT_EXIST'],
          () => context.client.getDeployment(names.unknownConfig),
        );
      },
      { needs: ['lifecycle.get-missing'] },
    );

    check(
      context,
      'lifecycle.delete',
      async () => {
        await expectResolves('lifecycle.delete', `deleteDeployment('${names.deployment}')`, () =>
          context.client.deleteDeployment(names.deployment),
        );
        await expectBerthError(
          'lifecycle.delete',
          `getDeployment('${names.deployment}') after deleting it`,
          ['RESOURCE_DOES_NOT_EXIST'],
          () => context.client.getDeployment(names.deployment),
        );
        const listed = await context.client.listDeployments();
        if (listed.some((deployment) => deployment.name === names.deployment)) {
          violation('lifecycle.delete', `listDeployments() still includes '${names.deployment}' after deleting it.`);
        }
      },
      { needs: ['lifecycle.create', 'lifecycle.get-missing'] },
    );

    check(context, 'lifecycle.delete-idempotent', async () => {
      await expectResolves(
        'lifecycle.delete-idempotent',
        `deleteDeployment('${names.missing}') of a name never created (delete is idempotent, as MLflow's contract says)`,
        () => context.client.deleteDeployment(names.missing),
      );
      await expectResolves('lifecycle.delete-idempotent', `a second deleteDeployment('${names.deployment}')`, () =>
        context.client.deleteDeployment(names.deployment),
      );
    });
  });
}
