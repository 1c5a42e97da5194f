import { describe, expect, it } from 'vitest';
import { resolveListenSettings } from './sagemaker-mode.js';

describe('resolveListenSettings', () => {
  it('defaults to 127.0.0.1:8080 outside SageMaker mode', () => {
    expect(resolveListenSettings({ sagemaker: false, modelUri: '/m' }, [], {})).toMatchObject({
      sagemaker: false,
      host: '127.0.0.1',
      port: 8080,
      modelUri: '/m',
      warnings: [],
    });
  });

  it.each([
    [{ sagemaker: true }, [], {}],
    [{ sagemaker: false }, ['serve'], {}],
    [{ sagemaker: false }, [], { SAGEMAKER_BIND_TO_PORT: '9000' }],
  ])('SageMaker mode from %o %o %o: 0.0.0.0, /opt/ml/model, a warning', (flags, positionals, env) => {
    const settings = resolveListenSettings(flags, positionals, env);
    expect(settings.sagemaker).toBe(true);
    expect(settings.host).toBe('0.0.0.0');
    expect(settings.modelUri).toBe('/opt/ml/model');
    expect(settings.port).toBe('SAGEMAKER_BIND_TO_PORT' in env ? 9000 : 8080);
    expect(settings.warnings[0]).toContain('0.0.0.0');
  });

  it('explicit flags win; a bad port is an error', () => {
    const settings = resolveListenSettings(
      { sagemaker: true, host: '127.0.0.1', port: '1234', modelUri: '/elsewhere' },
      [],
      { SAGEMAKER_BIND_TO_PORT: '9000' },
    );
    expect(settings).toMatchObject({ host: '127.0.0.1', port: 1234, modelUri: '/elsewhere', warnings: [] });
    expect(() => resolveListenSettings({ sagemaker: false }, [], { SAGEMAKER_BIND_TO_PORT: 'x' })).toThrow(
      /SAGEMAKER_BIND_TO_PORT must be a port/,
    );
  });
});
