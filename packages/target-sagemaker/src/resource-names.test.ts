import { BerthError } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { checkEndpointName, endpointConfigName, modelName, truncateName, uniqueName } from './resource-names.js';

describe('resource names (MLflow test_truncate_name, test_get_unique_name)', () => {
  it('cuts the middle out of long names', () => {
    expect(truncateName('a'.repeat(64), 63)).toBe(`${'a'.repeat(30)}---${'a'.repeat(30)}`);
    expect(truncateName('abcdefghijklmnopqrst', 10)).toBe('abc---qrst');
    expect(truncateName('short', 10)).toBe('short');
  });

  it('makes unique names of at most 63 characters that keep their prefix', () => {
    const model = modelName('a'.repeat(100));
    expect(model).toMatch(/^a{16}---a{17}-model-[0-9a-f]{20}$/);
    expect(model.length).toBeLessThanOrEqual(63);
    const config = endpointConfigName('iris');
    expect(config).toMatch(/^iris-config-[0-9a-f]{20}$/);
    expect(modelName('iris')).not.toBe(modelName('iris'));
    expect(uniqueName('b'.repeat(80), '-model-', () => 'f'.repeat(32))).toHaveLength(63);
  });

  it('refuses an endpoint name SageMaker would refuse, before anything is created', () => {
    expect(() => checkEndpointName('iris-prod-2')).not.toThrow();
    for (const bad of ['iris_prod', '-iris', 'iris-', 'a'.repeat(64), '']) {
      let caught: unknown;
      try {
        checkEndpointName(bad);
      } catch (error) {
        caught = error;
      }
      expect(BerthError.isInstance(caught), bad).toBe(true);
      expect((caught as BerthError).code).toBe('INVALID_PARAMETER_VALUE');
    }
  });
});
