import { describe, expect, it } from 'vitest';
import * as http from './http.js';
import * as spec from './index.js';
import * as internal from './internal.js';
import * as registry from './registry.js';

describe('entry points', () => {
  it('the spec entry holds only what a target author implements against, nothing of the host side', () => {
    expect(Object.keys(spec).sort()).toEqual([
      'BaseDeploymentClient',
      'BerthError',
      'DEPLOYMENT_CLIENT_BRAND',
      'ERROR_CODES',
      'PredictionsResponse',
      'SPECIFICATION_VERSION',
      'berthHome',
      'formatConfigHelp',
      'httpStatusFor',
      'parseTargetUri',
    ]);
  });

  it('the host side (discovery, loading, config checks, exit codes) is reachable only through @berth/core/registry', () => {
    for (const name of ['listTargets', 'loadTarget', 'registerTarget', 'validateConfig', 'exitCodeFor', 'getSource']) {
      expect(name in registry, name).toBe(true);
      expect(name in spec, name).toBe(false);
    }
    expect('fetchWithRetry' in registry).toBe(false); // the HTTP helper stays behind its own subpath
    expect(typeof http.fetchWithRetry).toBe('function');
  });

  it('berthHome follows BERTH_HOME (resolved) and the plugin folder lives inside it', () => {
    const previous = process.env.BERTH_HOME;
    try {
      process.env.BERTH_HOME = '/srv/berth-home/../berth-home';
      expect(spec.berthHome()).toBe('/srv/berth-home');
      expect(internal.berthHome).toBe(spec.berthHome);
      expect(registry.pluginsDirectory()).toBe('/srv/berth-home/plugins');
      delete process.env.BERTH_HOME;
      expect(internal.berthHome()).toMatch(/\.berth$/);
    } finally {
      if (previous === undefined) delete process.env.BERTH_HOME;
      else process.env.BERTH_HOME = previous;
    }
  });
});
