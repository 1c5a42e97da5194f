import { describe, expect, it } from 'vitest';
import { requestTimeoutsFromEnvironment } from './request-timeouts.js';

describe('requestTimeoutsFromEnvironment', () => {
  it('has MLflow’s defaults: 120 s for predictions, 300 s for every other request', () => {
    const timeouts = requestTimeoutsFromEnvironment({});
    expect(timeouts.predict).toEqual({
      seconds: 120,
      variable: 'BERTH_DEPLOYMENT_PREDICT_TIMEOUT',
      fromEnvironment: false,
    });
    expect(timeouts.request.seconds).toBe(300);
  });

  it('takes MLflow’s variables (420, as MLflow’s own test sets), and Berth’s over them', () => {
    expect(requestTimeoutsFromEnvironment({ MLFLOW_DEPLOYMENT_CLIENT_HTTP_REQUEST_TIMEOUT: '420' }).request).toEqual({
      seconds: 420,
      variable: 'MLFLOW_DEPLOYMENT_CLIENT_HTTP_REQUEST_TIMEOUT',
      fromEnvironment: true,
    });
    const both = requestTimeoutsFromEnvironment({
      MLFLOW_DEPLOYMENT_PREDICT_TIMEOUT: '30',
      BERTH_DEPLOYMENT_PREDICT_TIMEOUT: '5',
    });
    expect(both.predict).toMatchObject({ seconds: 5, variable: 'BERTH_DEPLOYMENT_PREDICT_TIMEOUT' });
  });

  it('0 means no limit; a negative or non-number value is an error naming the variable', () => {
    expect(requestTimeoutsFromEnvironment({ BERTH_DEPLOYMENT_PREDICT_TIMEOUT: '0' }).predict.seconds).toBe(0);
    expect(() => requestTimeoutsFromEnvironment({ MLFLOW_DEPLOYMENT_PREDICT_TIMEOUT: '-1' })).toThrow(
      /Invalid MLFLOW_DEPLOYMENT_PREDICT_TIMEOUT: "-1"/,
    );
  });
});
