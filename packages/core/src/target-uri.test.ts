import { afterEach, describe, expect, it, vi } from 'vitest';
import { BerthError } from './berth-error.js';
import { getDeploymentsTarget, parseTargetUri, setDeploymentsTarget } from './target-uri.js';

describe('parseTargetUri', () => {
  it.each([
    ['faketarget', 'faketarget'],
    ['faketarget:/somesuffix', 'faketarget'],
    ['faketarget://somesuffix', 'faketarget'],
    ['sagemaker:/us-east-1/arn:aws:iam::123456789012:role/assumed_role', 'sagemaker'],
    ['databricks://profile', 'databricks'],
    ['http://localhost:5000', 'http'],
    ['SageMaker:/eu-west-1', 'sagemaker'],
    ['git+ssh://host/x', 'git+ssh'],
    ['local:', 'local'],
    ['  local:/state', 'local'],
    ['wrong_target', 'wrong_target'],
  ])('%s → %s', (uri, expected) => {
    expect(parseTargetUri(uri)).toBe(expected);
  });

  it("follows Python's scheme grammar: a scheme starts with a letter, so '1abc:x' is a bare path", () => {
    expect(parseTargetUri('1abc:x')).toBe('1abc:x');
    expect(parseTargetUri('a_b:x')).toBe('a_b:x');
  });

  it.each(['', '   '])('rejects %j with MLflow’s message', (uri) => {
    let error: unknown;
    try {
      parseTargetUri(uri);
    } catch (caught) {
      error = caught;
    }
    expect(BerthError.isInstance(error)).toBe(true);
    expect((error as BerthError).code).toBe('INVALID_PARAMETER_VALUE');
    expect((error as BerthError).message).toBe(
      `Not a proper deployment URI: ${uri}. Deployment URIs must be of the form 'target' or 'target:/suffix'`,
    );
  });
});

describe('setDeploymentsTarget / getDeploymentsTarget', () => {
  afterEach(() => {
    setDeploymentsTarget(undefined);
    vi.unstubAllEnvs();
  });

  it('round-trips a set value, including bare words MLflow would reject', () => {
    for (const target of ['databricks', 'http://localhost', 'local', 'sagemaker:/eu-west-1']) {
      setDeploymentsTarget(target);
      expect(getDeploymentsTarget()).toBe(target);
    }
  });

  it('rejects an empty target', () => {
    expect(() => setDeploymentsTarget('')).toThrow(/Not a proper deployment URI/);
  });

  it('prefers the set value, then BERTH_TARGET, then MLFLOW_DEPLOYMENTS_TARGET', () => {
    vi.stubEnv('BERTH_TARGET', 'from-berth');
    vi.stubEnv('MLFLOW_DEPLOYMENTS_TARGET', 'from-mlflow');
    setDeploymentsTarget('from-code');
    expect(getDeploymentsTarget()).toBe('from-code');
    setDeploymentsTarget(undefined);
    expect(getDeploymentsTarget()).toBe('from-berth');
    vi.stubEnv('BERTH_TARGET', '');
    expect(getDeploymentsTarget()).toBe('from-mlflow');
  });

  it('says how to set a target when none is set', () => {
    vi.stubEnv('BERTH_TARGET', '');
    vi.stubEnv('MLFLOW_DEPLOYMENTS_TARGET', '');
    let error: BerthError | undefined;
    try {
      getDeploymentsTarget();
    } catch (caught) {
      error = caught as BerthError;
    }
    expect(error?.message).toMatch(/No deployments target has been set/);
    expect(error?.suggestions.join('\n')).toMatch(/BERTH_TARGET/);
    expect(error?.suggestions.join('\n')).toMatch(/-t\/--target/);
  });
});
