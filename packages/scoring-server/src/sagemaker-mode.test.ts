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

describe('resolveListenSettings: the container environment', () => {
  it('BERTH_SAGEMAKER_MODEL_DIR, MLFLOW_DEPLOYMENT_FLAVOR_NAME and BERTH_ALLOW_CODE configure serve', () => {
    const settings = resolveListenSettings({ sagemaker: false }, ['serve'], {
      BERTH_SAGEMAKER_MODEL_DIR: '/tmp/x/opt/ml/model',
      MLFLOW_DEPLOYMENT_FLAVOR_NAME: 'js',
      BERTH_ALLOW_CODE: 'TRUE',
    });
    expect(settings).toMatchObject({ modelUri: '/tmp/x/opt/ml/model', flavor: 'js', allowCode: true });
    expect(resolveListenSettings({ sagemaker: true }, [], {})).toMatchObject({
      flavor: undefined,
      allowCode: undefined,
    });
    expect(() => resolveListenSettings({ sagemaker: true }, [], { BERTH_ALLOW_CODE: 'yes' })).toThrow(
      "BERTH_ALLOW_CODE must be true or false; got 'yes'",
    );
  });

  it('flags win over the environment; outside SageMaker mode the environment is not read', () => {
    const env = { MLFLOW_DEPLOYMENT_FLAVOR_NAME: 'js', BERTH_ALLOW_CODE: 'true', BERTH_SAGEMAKER_MODEL_DIR: '/env' };
    expect(
      resolveListenSettings({ sagemaker: true, flavor: 'onnx', allowCode: false, modelUri: '/flag' }, [], env),
    ).toMatchObject({ flavor: 'onnx', allowCode: false, modelUri: '/flag' });
    expect(resolveListenSettings({ sagemaker: false, modelUri: '/m' }, [], env)).toMatchObject({
      modelUri: '/m',
      flavor: undefined,
      allowCode: undefined,
    });
  });
});
