import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveRegion } from './region.js';

describe('resolveRegion', () => {
  let directory: string;
  let configFile: string;

  beforeAll(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'berth-region-'));
    configFile = path.join(directory, 'config');
    await writeFile(
      configFile,
      '[default]\nregion = eu-west-1\n\n[profile  team]\n# a comment\nregion=ap-south-1 ; trailing\n[profile bare]\noutput=json\n',
    );
  });
  afterAll(() => rm(directory, { recursive: true, force: true }));

  it('prefers the URI or config region, then AWS_REGION, then AWS_DEFAULT_REGION', async () => {
    expect(await resolveRegion('us-east-1', { AWS_REGION: 'eu-central-1' })).toBe('us-east-1');
    expect(await resolveRegion(undefined, { AWS_REGION: 'eu-central-1', AWS_DEFAULT_REGION: 'x' })).toBe(
      'eu-central-1',
    );
    expect(await resolveRegion(undefined, { AWS_DEFAULT_REGION: 'ca-central-1', AWS_CONFIG_FILE: configFile })).toBe(
      'ca-central-1',
    );
  });

  it("reads the profile's region from the shared config file", async () => {
    expect(await resolveRegion(undefined, { AWS_CONFIG_FILE: configFile })).toBe('eu-west-1');
    expect(await resolveRegion(undefined, { AWS_CONFIG_FILE: configFile, AWS_PROFILE: 'team' })).toBe('ap-south-1');
  });

  it("falls back to MLflow's us-west-2", async () => {
    expect(await resolveRegion(undefined, { AWS_CONFIG_FILE: configFile, AWS_PROFILE: 'bare' })).toBe('us-west-2');
    expect(await resolveRegion(undefined, { AWS_CONFIG_FILE: path.join(directory, 'missing') })).toBe('us-west-2');
  });
});
