import { createHash, createHmac } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leanTarget, type SignRequest, type StaticCredentials, signV4 } from './lean-list.js';

type Source = string | ArrayBuffer | ArrayBufferView;
const asBytes = (data: Source) =>
  typeof data === 'string'
    ? data
    : ArrayBuffer.isView(data)
      ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
      : Buffer.from(data);

class Sha256 {
  readonly #hash;
  constructor(secret?: Source) {
    this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', asBytes(secret));
  }
  update(data: Source) {
    this.#hash.update(asBytes(data));
  }
  async digest() {
    return new Uint8Array(this.#hash.digest());
  }
}

describe('signV4 (node:crypto) against @smithy/signature-v4', () => {
  const cases: Array<[string, StaticCredentials, string]> = [
    [
      'static keys, path /',
      { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
      '/',
    ],
    [
      'a session token, a base path',
      { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token/with+chars=' },
      '/prefix/',
    ],
  ];
  it.each(cases)('signs alike: %s', async (_label, credentials, requestPath) => {
    const now = new Date(Date.UTC(2026, 11, 2, 9, 30, 15, 123));
    const request: SignRequest = {
      method: 'POST',
      path: requestPath,
      headers: {
        host: '127.0.0.1:4566',
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'SageMaker.ListEndpoints',
        'content-length': '62',
        'user-agent': 'berth',
      },
      body: '{"MaxResults":100,"SortBy":"CreationTime","SortOrder":"Ascending"}',
    };
    const ours = signV4(request, credentials, 'eu-west-1', 'sagemaker', now);
    const smithy = new SignatureV4({ credentials, region: 'eu-west-1', service: 'sagemaker', sha256: Sha256 });
    const theirs = await smithy.sign(
      { ...request, protocol: 'http:', hostname: '127.0.0.1', port: 4566, query: {}, headers: { ...request.headers } },
      { signingDate: now },
    );
    expect(ours.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=.+\/20261202\/eu-west-1\/sagemaker\/aws4_request, /,
    );
    expect(ours).toEqual(theirs.headers);
  });
});

describe('leanTarget: the cheap credential and endpoint rules, else the SDK', () => {
  let directory: string;
  const files = () => ({
    AWS_CONFIG_FILE: path.join(directory, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(directory, 'credentials'),
  });
  beforeAll(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'berth-lean-'));
    await writeFile(
      path.join(directory, 'config'),
      [
        '[default]',
        'region = eu-west-1',
        '[profile keys]',
        'aws_access_key_id = AKIDCONFIG',
        'aws_secret_access_key = fromconfig',
        '[profile role]',
        'role_arn = arn:aws:iam::123456789012:role/r',
        'source_profile = default',
        '[profile sso]',
        'sso_session = corp',
        '[profile endpoint]',
        'aws_access_key_id = A',
        'aws_secret_access_key = B',
        'endpoint_url = http://127.0.0.1:1',
        '[profile nested]',
        'aws_access_key_id = A',
        'aws_secret_access_key = B',
        'services = local',
        '[services local]',
        'sagemaker =',
        '  endpoint_url = http://127.0.0.1:2',
      ].join('\n'),
    );
    await writeFile(
      path.join(directory, 'credentials'),
      '[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = fromfile # note\naws_session_token = tok\n[keys]\naws_secret_access_key = overridden\n',
    );
  });
  afterAll(() => rm(directory, { recursive: true, force: true }));

  it('takes AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY first, and the default endpoint of the region', async () => {
    const target = await leanTarget('us-east-1', {
      ...files(),
      AWS_ACCESS_KEY_ID: 'AKIDENV',
      AWS_SECRET_ACCESS_KEY: 's',
    });
    expect(target?.credentials).toEqual({ accessKeyId: 'AKIDENV', secretAccessKey: 's' });
    expect(target?.endpoint.href).toBe('https://api.sagemaker.us-east-1.amazonaws.com/');
    expect((await leanTarget('cn-north-1', { ...files() }))?.endpoint.href).toBe(
      'https://api.sagemaker.cn-north-1.amazonaws.com.cn/',
    );
    expect((await leanTarget('us-gov-west-1', { ...files() }))?.endpoint.host).toBe(
      'api.sagemaker.us-gov-west-1.amazonaws.com',
    );
  });

  it('reads static keys of the profile (credentials file over config file); AWS_PROFILE skips the environment', async () => {
    expect((await leanTarget('us-east-1', files()))?.credentials).toEqual({
      accessKeyId: 'AKIDFILE',
      secretAccessKey: 'fromfile',
      sessionToken: 'tok',
    });
    const profiled = await leanTarget('us-east-1', {
      ...files(),
      AWS_PROFILE: 'keys',
      AWS_ACCESS_KEY_ID: 'AKIDENV',
      AWS_SECRET_ACCESS_KEY: 's',
    });
    expect(profiled?.credentials).toEqual({ accessKeyId: 'AKIDCONFIG', secretAccessKey: 'overridden' });
  });

  it('honors AWS_ENDPOINT_URL_SAGEMAKER over AWS_ENDPOINT_URL, unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS', async () => {
    const env = {
      ...files(),
      AWS_ENDPOINT_URL: 'http://127.0.0.1:7/',
      AWS_ENDPOINT_URL_SAGEMAKER: 'http://127.0.0.1:8/sm',
    };
    expect((await leanTarget('us-west-2', env))?.endpoint.href).toBe('http://127.0.0.1:8/sm');
    expect((await leanTarget('us-west-2', { ...env, AWS_ENDPOINT_URL_SAGEMAKER: '' }))?.endpoint.href).toBe(
      'http://127.0.0.1:7/',
    );
    expect(
      (await leanTarget('us-west-2', { ...env, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' }))?.endpoint.host,
    ).toBe('api.sagemaker.us-west-2.amazonaws.com');
  });

  it.each([
    ['a role to assume', { AWS_PROFILE: 'role' }, 'us-west-2'],
    ['an SSO profile', { AWS_PROFILE: 'sso' }, 'us-west-2'],
    ['a missing profile', { AWS_PROFILE: 'nobody' }, 'us-west-2'],
    ["the profile's endpoint_url", { AWS_PROFILE: 'endpoint' }, 'us-west-2'],
    ["the profile's services block", { AWS_PROFILE: 'nested' }, 'us-west-2'],
    ['FIPS endpoints', { AWS_USE_FIPS_ENDPOINT: 'true' }, 'us-west-2'],
    ['dual-stack endpoints', { AWS_USE_DUALSTACK_ENDPOINT: 'TRUE' }, 'us-west-2'],
    ['an ISO partition', {}, 'us-iso-east-1'],
    [
      'no credentials at all (IMDS, containers, web identity)',
      { AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' },
      'us-west-2',
    ],
  ])('leaves %s to the SDK', async (_label, env, region) => {
    expect(await leanTarget(region, { ...files(), ...env })).toBeUndefined();
  });
});
