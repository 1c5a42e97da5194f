import { describe } from 'vitest';
import type { ContractPoint } from './contract-points.js';
import { describeValue, expectBerthError, expectResolves, isRecord, violation } from './contract-violation.js';
import { check, type SuiteContext } from './suite-context.js';

interface PredictionsResponseLike {
  predictions: unknown;
  getPredictions(format?: string): unknown;
  toJSON(): unknown;
}

/**
 * A PredictionsResponse from any copy of @berth/core: checked by shape, since a target that
 * bundles its own core has its own class (instanceof would refuse it).
 */
export function expectPredictionsResponse(point: ContractPoint, what: string, value: unknown): PredictionsResponseLike {
  const candidate = value as Partial<PredictionsResponseLike> | null | undefined;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    !('predictions' in candidate) ||
    typeof candidate.getPredictions !== 'function' ||
    typeof candidate.toJSON !== 'function'
  ) {
    violation(
      point,
      `${what} must resolve to a PredictionsResponse (new PredictionsResponse(body) or PredictionsResponse.fromJSON(text) from @berth/core); it resolved to ${describeValue(value)}.`,
    );
  }
  return candidate as PredictionsResponseLike;
}

function rowsOf(response: PredictionsResponseLike): number {
  const records = response.getPredictions('records');
  return Array.isArray(records) ? records.length : -1;
}

export function predictionChecks(context: SuiteContext): void {
  const { options, names } = context;
  const rows = options.inputs.rows;

  describe('predictions', () => {
    check(
      context,
      'predict.response',
      async () => {
        const what = `predict('${names.deployment}', inputs.valid)`;
        const response = expectPredictionsResponse(
          'predict.response',
          what,
          await expectResolves('predict.response', what, () =>
            context.client.predict(names.deployment, options.inputs.valid),
          ),
        );
        if (rows !== undefined && rowsOf(response) !== rows) {
          violation(
            'predict.response',
            `${what} must give ${rows} predictions (one per input row); it gave ${rowsOf(response)}: ${describeValue(response.predictions)}.`,
          );
        }
        const body = response.toJSON();
        if (!isRecord(body) || !('predictions' in body)) {
          violation(
            'predict.response',
            `${what}: toJSON() must be the response body with "predictions"; it is ${describeValue(body)}.`,
          );
        }
      },
      { needs: ['lifecycle.create'] },
    );

    check(
      context,
      'predict.formats',
      async () => {
        const response = expectPredictionsResponse(
          'predict.formats',
          'predict',
          await context.client.predict(names.deployment, options.inputs.valid),
        );
        for (const format of ['records', 'dataframe', 'columns', 'arrays', 'ndarray']) {
          let converted: unknown;
          try {
            converted = response.getPredictions(format);
          } catch (error) {
            violation(
              'predict.formats',
              `getPredictions('${format}') threw ${describeValue(error)} for predictions ${describeValue(response.predictions)}.`,
              error,
            );
          }
          const tabular = format === 'columns' ? isRecord(converted) : Array.isArray(converted);
          if (!tabular) {
            violation(
              'predict.formats',
              `getPredictions('${format}') gave ${describeValue(converted)}, not ${format === 'columns' ? 'an object of columns' : 'an array of rows'}.`,
            );
          }
          if (rows !== undefined && Array.isArray(converted) && converted.length !== rows) {
            violation(
              'predict.formats',
              `getPredictions('${format}') gave ${converted.length} rows; the input has ${rows}.`,
            );
          }
        }
        const roundTrip = JSON.parse(JSON.stringify(response)) as unknown;
        if (!isRecord(roundTrip) || JSON.stringify(roundTrip.predictions) !== JSON.stringify(response.predictions)) {
          violation(
            'predict.formats',
            `JSON.stringify(response) must keep the predictions; it gave ${describeValue(roundTrip)}.`,
          );
        }
      },
      { needs: ['predict.response'] },
    );

    check(context, 'predict.missing', async () => {
      await expectBerthError(
        'predict.missing',
        `predict('${names.missing}', inputs.valid) of a deployment never created`,
        ['RESOURCE_DOES_NOT_EXIST'],
        () => context.client.predict(names.missing, options.inputs.valid),
      );
    });

    check(
      context,
      'predict.invalid-input',
      async () => {
        await expectBerthError(
          'predict.invalid-input',
          `predict('${names.deployment}', inputs.invalid)`,
          ['INVALID_PARAMETER_VALUE', 'BAD_REQUEST'],
          () =>
            context.client.predict(
              names.deployment,
              options.inputs.invalid as NonNullable<typeof options.inputs.invalid>,
            ),
        );
      },
      {
        needs: ['lifecycle.create'],
        skip: options.inputs.invalid === undefined && 'give inputs.invalid to check how predict refuses bad input',
      },
    );
  });
}
