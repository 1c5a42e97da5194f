import { BerthError } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { parseSageMakerTargetUri } from './sagemaker-target-uri.js';

describe('parseSageMakerTargetUri (MLflow test_target_uri_parsing)', () => {
  it('keeps the defaults for sagemaker and sagemaker:/', () => {
    expect(parseSageMakerTargetUri('sagemaker')).toEqual({});
    expect(parseSageMakerTargetUri('sagemaker:/')).toEqual({});
    expect(parseSageMakerTargetUri('sagemaker://')).toEqual({});
  });

  it('reads a region', () => {
    expect(parseSageMakerTargetUri('sagemaker:/us-east-1')).toEqual({ regionName: 'us-east-1' });
    expect(parseSageMakerTargetUri('sagemaker:/us-east-1/')).toEqual({ regionName: 'us-east-1' });
  });

  it('reads a region and a role ARN, stripping extra slashes and keeping the slashes inside the ARN', () => {
    expect(parseSageMakerTargetUri('sagemaker:/us-east-1/arn:aws:iam::123456789012:role/assumed_role')).toEqual({
      regionName: 'us-east-1',
      assumeRoleArn: 'arn:aws:iam::123456789012:role/assumed_role',
    });
    expect(parseSageMakerTargetUri('sagemaker:/us-east-1/////arn:aws:iam::123456789012:role/x.y/assumed_role')).toEqual(
      { regionName: 'us-east-1', assumeRoleArn: 'arn:aws:iam::123456789012:role/x.y/assumed_role' },
    );
  });

  it('refuses a role ARN without a region, with MLflow message and code', () => {
    const uri = 'sagemaker:/arn:aws:iam::123456789012:role/assumed_role';
    let caught: unknown;
    try {
      parseSageMakerTargetUri(uri);
    } catch (error) {
      caught = error;
    }
    expect(BerthError.isInstance(caught)).toBe(true);
    expect((caught as BerthError).code).toBe('INVALID_PARAMETER_VALUE');
    expect((caught as BerthError).message).toContain(
      'A region name must be provided when the target_uri contains a role ARN',
    );
    expect((caught as BerthError).message).toContain(`The provided target_uri is: ${uri}`);
  });
});
