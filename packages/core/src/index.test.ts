import { describe, expect, it } from 'vitest';
import * as http from './http.js';
import * as core from './index.js';

describe('public API', () => {
  it('exports the names the other packages are built against', () => {
    const api: Record<string, unknown> = { ...core };
    const functions = [
      'registerTarget',
      'unregisterTarget',
      'listTargets',
      'loadTarget',
      'parseTargetUri',
      'setDeploymentsTarget',
      'getDeploymentsTarget',
      'getDeployClient',
      'runLocal',
      'targetHelp',
      'parseConfigPairs',
      'validateConfig',
      'berthHome',
      'pluginsDirectory',
      'clearDiscoveryCache',
      'getSource',
      'sourceFromJSON',
      'registerDatasetSource',
      'listDatasetSources',
      'isDeploymentClientClass',
      'httpStatusFor',
      'exitCodeFor',
    ];
    for (const name of functions) expect(typeof api[name], name).toBe('function');
    for (const name of ['BaseDeploymentClient', 'BerthError', 'PredictionsResponse', 'TargetNotFoundError']) {
      expect(typeof api[name], name).toBe('function');
    }
    expect(typeof http.fetchWithRetry).toBe('function');
    expect(typeof http.HttpError).toBe('function');
    expect('fetchWithRetry' in core).toBe(false); // the HTTP helper stays behind its own subpath
  });

  it('berthHome follows BERTH_HOME and the plugin folder lives inside it', () => {
    const previous = process.env.BERTH_HOME;
    try {
      process.env.BERTH_HOME = '/srv/berth-home';
      expect(core.berthHome()).toBe('/srv/berth-home');
      expect(core.pluginsDirectory()).toBe('/srv/berth-home/plugins');
      delete process.env.BERTH_HOME;
      expect(core.berthHome()).toMatch(/\.berth$/);
    } finally {
      if (previous === undefined) delete process.env.BERTH_HOME;
      else process.env.BERTH_HOME = previous;
    }
  });
});
