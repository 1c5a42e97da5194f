/**
 * Holds the loopback SageMaker server against moto where both implement an operation: the same
 * calls, sent as raw AWS JSON 1.1 to each, must give answers of the same shape (every member moto
 * returns, with the same JSON type) and the same error codes and statuses. Where the loopback
 * server returns more, it is a member the real service returns and moto lacks; those are listed
 * here by name, so a new difference fails the test until someone looks at it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type LoopbackSageMaker,
  startLoopbackSageMaker,
} from './support/loopback-sagemaker/loopback-sagemaker-server.js';
import { type MotoServer, skipWithoutMoto, startMotoServer } from './support/moto-server.js';
import { BERTH_IMAGE, ROLE_ARN, until } from './support/test-clients.js';

type Json = Record<string, unknown>;

/** Members the real SageMaker returns that moto 5.2.1 does not (per operation, dotted paths). */
const REAL_MEMBERS_MOTO_LACKS: Record<string, string[]> = {
  DescribeModel: ['PrimaryContainer.Mode', 'DeploymentRecommendation', 'DeploymentRecommendation.RecommendationStatus'],
  DescribeEndpointConfig: ['EnableNetworkIsolation'],
  DescribeEndpoint: [
    'ProductionVariants[].DeployedImages',
    'ProductionVariants[].DeployedImages[].SpecifiedImage',
    'ProductionVariants[].DeployedImages[].ResolvedImage',
  ],
};

const AUTH =
  'AWS4-HMAC-SHA256 Credential=testing/20260101/us-west-2/sagemaker/aws4_request, SignedHeaders=host;x-amz-target, Signature=0';

async function call(url: string, operation: string, input: Json): Promise<{ status: number; body: Json }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'x-amz-target': `SageMaker.${operation}`,
      'content-type': 'application/x-amz-json-1.1',
      authorization: AUTH,
    },
    body: JSON.stringify(input),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Json) };
}

function isEmpty(value: unknown): boolean {
  return (
    (Array.isArray(value) && value.length === 0) ||
    (typeof value === 'object' && value !== null && Object.keys(value).length === 0)
  );
}

function kind(value: unknown): string {
  return Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
}

/**
 * Differences between moto's answer and the loopback server's: members moto has that the loopback
 * lacks or types differently (moto's empty `{}`/`[]` padding excepted), and loopback members not in
 * `allowed`.
 */
function shapeDifferences(moto: unknown, loopback: unknown, allowed: string[], path = ''): string[] {
  if (kind(moto) !== kind(loopback)) return [`${path || '(root)'}: moto ${kind(moto)}, loopback ${kind(loopback)}`];
  if (Array.isArray(moto)) {
    const [first] = moto;
    const [other] = loopback as unknown[];
    return first === undefined || other === undefined ? [] : shapeDifferences(first, other, allowed, `${path}[]`);
  }
  if (typeof moto !== 'object' || moto === null) return [];
  const differences: string[] = [];
  const left = moto as Json;
  const right = loopback as Json;
  for (const key of Object.keys(left)) {
    const member = path ? `${path}.${key}` : key;
    if (!(key in right)) {
      if (!isEmpty(left[key])) differences.push(`${member}: missing from the loopback answer`);
      continue;
    }
    differences.push(...shapeDifferences(left[key], right[key], allowed, member));
  }
  for (const key of Object.keys(right)) {
    const member = path ? `${path}.${key}` : key;
    if (!(key in left) && !allowed.includes(member)) differences.push(`${member}: only in the loopback answer`);
  }
  return differences;
}

/** Error messages differ in quoting and in naming the resource by name or ARN; the subject must match. */
function messageSubject(body: Json): string {
  const message = String(body.message ?? body.Message ?? '');
  return message.split(/["']/)[0]?.trim() ?? '';
}

describe.skipIf(skipWithoutMoto('moto parity'))(
  'loopback SageMaker answers like moto where both implement an operation',
  () => {
    let moto: MotoServer;
    let loopback: LoopbackSageMaker;

    beforeAll(async () => {
      moto = await startMotoServer();
      loopback = await startLoopbackSageMaker({
        runContainers: false,
        createLatencyMs: 0,
        updateLatencyMs: 0,
        deleteLatencyMs: 0,
      });
    }, 60_000);
    afterAll(async () => {
      await loopback?.close();
      await moto?.stop();
    });

    const endpointArn = 'arn:aws:sagemaker:us-west-2:123456789012:endpoint/parity';
    const steps: Array<[string, Json]> = [
      [
        'CreateModel',
        { ModelName: 'parity-model', ExecutionRoleArn: ROLE_ARN, PrimaryContainer: { Image: BERTH_IMAGE } },
      ],
      ['DescribeModel', { ModelName: 'parity-model' }],
      ['ListModels', {}],
      [
        'CreateEndpointConfig',
        {
          EndpointConfigName: 'parity-config',
          ProductionVariants: [
            {
              VariantName: 'v',
              ModelName: 'parity-model',
              InstanceType: 'ml.m5.large',
              InitialInstanceCount: 1,
              InitialVariantWeight: 1,
            },
          ],
        },
      ],
      ['DescribeEndpointConfig', { EndpointConfigName: 'parity-config' }],
      [
        'CreateEndpoint',
        { EndpointName: 'parity', EndpointConfigName: 'parity-config', Tags: [{ Key: 'team', Value: 'ml' }] },
      ],
      ['DescribeEndpoint', { EndpointName: 'parity' }],
      ['ListEndpoints', {}],
      [
        'UpdateEndpointWeightsAndCapacities',
        { EndpointName: 'parity', DesiredWeightsAndCapacities: [{ VariantName: 'v', DesiredWeight: 2 }] },
      ],
      ['AddTags', { ResourceArn: endpointArn, Tags: [{ Key: 'stage', Value: 'test' }] }],
      ['ListTags', { ResourceArn: endpointArn }],
      ['DeleteEndpoint', { EndpointName: 'parity' }],
      ['DeleteEndpointConfig', { EndpointConfigName: 'parity-config' }],
      ['DeleteModel', { ModelName: 'parity-model' }],
    ];

    it('successful answers: same members and JSON types', async () => {
      const report: string[] = [];
      for (const [operation, input] of steps) {
        const fromMoto = await call(moto.url, operation, input);
        if (operation === 'DescribeEndpoint' || operation === 'DeleteEndpoint') {
          // The loopback endpoint is Creating/Updating for a moment; moto's is InService at once.
          await until(
            async () => {
              const answer = await call(loopback.url, 'DescribeEndpoint', { EndpointName: 'parity' });
              return answer.body.EndpointStatus === 'InService' ? true : undefined;
            },
            10_000,
            'InService',
          );
        }
        const fromLoopback = await call(loopback.url, operation, input);
        expect([operation, fromLoopback.status]).toEqual([operation, fromMoto.status]);
        expect(fromMoto.status).toBe(200);
        report.push(
          ...shapeDifferences(fromMoto.body, fromLoopback.body, REAL_MEMBERS_MOTO_LACKS[operation] ?? []).map(
            (difference) => `${operation} ${difference}`,
          ),
        );
      }
      expect(report).toEqual([]);
    }, 60_000);

    const failures: Array<[string, Json]> = [
      ['DescribeModel', { ModelName: 'ghost' }],
      ['DeleteModel', { ModelName: 'ghost' }],
      ['DescribeEndpointConfig', { EndpointConfigName: 'ghost' }],
      ['DeleteEndpointConfig', { EndpointConfigName: 'ghost' }],
      ['DescribeEndpoint', { EndpointName: 'ghost' }],
      ['DeleteEndpoint', { EndpointName: 'ghost' }],
      ['CreateEndpoint', { EndpointName: 'ghost', EndpointConfigName: 'ghost' }],
      [
        'UpdateEndpointWeightsAndCapacities',
        { EndpointName: 'ghost', DesiredWeightsAndCapacities: [{ VariantName: 'v', DesiredWeight: 1 }] },
      ],
    ];

    it('errors: same __type, status and subject for missing resources', async () => {
      for (const [operation, input] of failures) {
        const fromMoto = await call(moto.url, operation, input);
        const fromLoopback = await call(loopback.url, operation, input);
        expect({ operation, status: fromLoopback.status, type: fromLoopback.body.__type }).toEqual({
          operation,
          status: fromMoto.status,
          type: fromMoto.body.__type,
        });
        expect([operation, messageSubject(fromLoopback.body)]).toEqual([operation, messageSubject(fromMoto.body)]);
        expect(fromLoopback.status).toBe(400);
      }
    }, 60_000);

    it('where moto is known to fall short, the loopback server does what SageMaker does', async () => {
      // moto overwrites a duplicate model silently; SageMaker (and the loopback server) refuse it.
      const model = { ModelName: 'dup', ExecutionRoleArn: ROLE_ARN, PrimaryContainer: { Image: BERTH_IMAGE } };
      await call(moto.url, 'CreateModel', model);
      expect((await call(moto.url, 'CreateModel', model)).status).toBe(200);
      await call(loopback.url, 'CreateModel', model);
      const refused = await call(loopback.url, 'CreateModel', model);
      expect(refused.status).toBe(400);
      expect(refused.body.__type).toBe('ValidationException');
      // moto has no UpdateEndpoint at all (an HTML 500); the loopback server implements it.
      const missing = await fetch(moto.url, {
        method: 'POST',
        headers: {
          'x-amz-target': 'SageMaker.UpdateEndpoint',
          'content-type': 'application/x-amz-json-1.1',
          authorization: AUTH,
        },
        body: JSON.stringify({ EndpointName: 'x', EndpointConfigName: 'y' }),
      });
      expect(missing.status).toBe(500);
      expect(
        (await call(loopback.url, 'UpdateEndpoint', { EndpointName: 'x', EndpointConfigName: 'y' })).body.__type,
      ).toBe('ValidationException');
    }, 30_000);
  },
);
