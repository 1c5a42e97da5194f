import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BaseDeploymentClient, SPECIFICATION_VERSION } from './base-deployment-client.js';
import { BerthError } from './berth-error.js';
import { getDeployClient, runLocal, targetHelp } from './deploy-client.js';
import { clearDiscoveryCache } from './package-discovery.js';
import { PredictionsResponse } from './predictions-response.js';
import { listTargets, loadTarget, registerTarget, TargetNotFoundError, unregisterTarget } from './target-registry.js';
import { setDeploymentsTarget } from './target-uri.js';
import * as fakeTarget from './testing/fake-target.js';
import { PluginDeploymentClient } from './testing/fake-target.js';
import { makeTempDirectory, removeTempDirectories } from './testing/package-fixtures.js';

let isolated: { cwd: string; berthHome: string; corePath: string };

beforeEach(async () => {
  // An empty folder for project, plugins and "beside core": only code registrations exist.
  const root = await makeTempDirectory('registry');
  isolated = { cwd: root, berthHome: `${root}/home`, corePath: `${root}/core/dist/index.js` };
  registerTarget('faketarget', async () => fakeTarget, { packageName: 'mlflow-test-plugin', version: '1.0.0' });
});

afterEach(async () => {
  for (const name of [
    ...['faketarget', 'dummy', 'twoclasses', 'noclass', 'futurespec', 'nospec', 'broken', 'reexport'],
    ...['ancient', 'garbled', 'legacyv1', 'onezero', 'onenine', 'oldcore', 'current'],
  ])
    unregisterTarget(name);
  setDeploymentsTarget(undefined);
  vi.unstubAllEnvs();
  clearDiscoveryCache();
  await removeTempDirectories();
});

describe('getDeployClient against the fake target (test_deployments)', () => {
  it('creates, updates, deletes, lists and gets deployments through the plugin', async () => {
    const client = await getDeployClient('faketarget', isolated);
    expect(client).toBeInstanceOf(PluginDeploymentClient);
    expect(await client.createDeployment('fake_deployment_name', 'runs:/1/m', { flavor: 'onnx' })).toEqual({
      name: 'fake_deployment_name',
      flavor: 'onnx',
    });
    expect((await client.createDeployment('fake_deployment_name', 'runs:/1/m')).flavor).toBeNull();
    expect(await client.deleteDeployment('fake_deployment_name')).toBeUndefined();
    expect((await client.updateDeployment('fake_deployment_name', { flavor: 'onnx' })).flavor).toBe('onnx');
    expect((await client.listDeployments())[0]?.name).toBe('fake_deployment_name');
    expect(await client.getDeployment('x')).toMatchObject({ key1: 'val1', key2: 'val2' });
  });

  it('passes endpoint calls through to the plugin', async () => {
    const client = await getDeployClient('faketarget', isolated);
    expect(await client.createEndpoint('fake_endpoint_name')).toEqual({ name: 'fake_endpoint_name' });
    expect(await client.updateEndpoint('fake_endpoint_name')).toEqual({ name: 'fake_endpoint_name' });
    expect(await client.deleteEndpoint('fake_endpoint_name')).toBeUndefined();
    expect(await client.listEndpoints()).toEqual([{ name: 'fake_endpoint_name' }]);
    expect(await client.getEndpoint('fake_endpoint_name')).toEqual({ name: 'fake_endpoint_name' });
  });

  it('predicts and explains with the plugin’s results', async () => {
    const client = await getDeployClient('faketarget', isolated);
    const response = await client.predict('fake_deployment_name', { inputs: [[5000]] });
    expect(response).toBeInstanceOf(PredictionsResponse);
    expect(response.toJSON()).toEqual({ predictions: [1, 2, 3] });
    expect(await client.explain('fake_deployment_name', { inputs: [[5000]] })).toBe('1');
  });

  it.each(['faketarget', 'faketarget:/somesuffix', 'faketarget://somesuffix'])(
    'resolves %s and constructs the client with the full URI',
    async (uri) => {
      const client = await getDeployClient(uri, isolated);
      expect(client).toBeInstanceOf(PluginDeploymentClient);
      expect(client.targetUri).toBe(uri);
    },
  );

  it('lets plugin exceptions propagate unchanged', async () => {
    const client = await getDeployClient('faketarget', isolated);
    const config = { raiseError: 'True' };
    await expect(client.createDeployment('n', 'm', { config })).rejects.toThrow(RangeError);
    await expect(client.deleteDeployment('n', { config })).rejects.toThrow('Error requested');
    await expect(client.createEndpoint('n', config)).rejects.toBeInstanceOf(RangeError);
    vi.stubEnv('raiseError', 'True');
    await expect(client.listDeployments()).rejects.toBeInstanceOf(RangeError);
  });

  it('reports an unknown target with the installed ones and the install commands', async () => {
    const error = await getDeployClient('wrong_target', isolated).catch((caught: unknown) => caught);
    expect(TargetNotFoundError.isInstance(error)).toBe(true);
    const notFound = error as TargetNotFoundError;
    expect(notFound.code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(notFound.httpStatus).toBe(404);
    expect(notFound.message).toMatch(/^No plugin found for managing model deployments to "wrong_target"\./);
    expect(notFound.availableTargets).toEqual(['faketarget']);
    expect(notFound.suggestions).toEqual(
      expect.arrayContaining([
        'Installed targets: faketarget.',
        'In a project: npm install @berth/target-wrong_target',
        'For a global berth CLI: berth targets add @berth/target-wrong_target',
      ]),
    );
  });

  it('suggests the closest installed target and a lowercase package name for a mistyped one', async () => {
    const error = (await getDeployClient('FakeTarget', isolated).catch(
      (caught: unknown) => caught,
    )) as TargetNotFoundError;
    expect(TargetNotFoundError.isInstance(error)).toBe(true);
    expect(error.suggestions[0]).toBe("Did you mean 'faketarget'? Target names are case-sensitive.");
    expect(error.suggestions).toContain('In a project: npm install @berth/target-faketarget');
  });

  it('rejects a registry entry without runLocal and targetHelp, naming what is missing', async () => {
    registerTarget('dummy', async () => ({ PluginDeploymentClient }), { packageName: 'dummy-pkg' });
    await expect(getDeployClient('dummy', isolated)).rejects.toThrow(
      'Plugin registered for the target dummy (package dummy-pkg) does not have all the required interfaces. Raise an issue with the plugin developers.\nMissing interfaces: runLocal, targetHelp',
    );
  });

  it('rejects a module with no client class, and one with two, naming the classes', async () => {
    registerTarget('noclass', async () => ({ runLocal: fakeTarget.runLocal, targetHelp: fakeTarget.targetHelp }));
    await expect(loadTarget('noclass', isolated)).rejects.toThrow(
      /target noclass \(package \(registered in code\)\) has no child class of BaseDeploymentClient/,
    );
    class SecondClient extends PluginDeploymentClient {}
    registerTarget('twoclasses', async () => ({ ...fakeTarget, SecondClient }));
    await expect(loadTarget('twoclasses', isolated)).rejects.toThrow(
      /has more than one child class of BaseDeploymentClient\. .*Classes found are \[PluginDeploymentClient, SecondClient\]/,
    );
  });

  it('does not count a re-exported BaseDeploymentClient or a class exported twice', async () => {
    registerTarget('reexport', async () => ({ ...fakeTarget, BaseDeploymentClient, default: PluginDeploymentClient }));
    const { module } = await loadTarget('reexport', isolated);
    expect(module.clientClass).toBe(PluginDeploymentClient);
  });

  it('refuses a newer major spec with both versions and the upgrade command', async () => {
    registerTarget('futurespec', async () => ({ ...fakeTarget, specificationVersion: '2.0' }), {
      packageName: 'future-target',
      version: '9.0.0',
    });
    const error = (await loadTarget('futurespec', isolated).catch((caught: unknown) => caught)) as BerthError;
    expect(error.code).toBe('INTERNAL_ERROR');
    expect(error.message).toBe(
      `Target 'futurespec' (package future-target@9.0.0) implements Berth spec 2.0, but this @berth/core implements spec ${SPECIFICATION_VERSION}; a newer major version of the spec needs a newer Berth.`,
    );
    expect(error.suggestions[0]).toBe(
      'Upgrade Berth: npm install @berth/core@2 @berth/cli@2 (globally: npm install -g @berth/cli@2).',
    );
    expect(error.suggestions[1]).toBe('Or install a release of future-target built for spec 1.x.');
  });

  it('refuses an older major and a version it cannot read', async () => {
    registerTarget('ancient', async () => ({ ...fakeTarget, specificationVersion: '0.3' }), { packageName: 'old' });
    await expect(loadTarget('ancient', isolated)).rejects.toThrow(
      `Target 'ancient' (package old) implements Berth spec 0.3, which this @berth/core (spec ${SPECIFICATION_VERSION}) no longer loads.`,
    );
    registerTarget('garbled', async () => ({ ...fakeTarget, specificationVersion: 'latest' }));
    await expect(loadTarget('garbled', isolated)).rejects.toThrow(
      /Target 'garbled' .* declares specificationVersion "latest", which is not a version\. This @berth\/core implements spec 1\.1\./,
    );
    // A class branded by another copy of core that carries no version at all.
    const brandOnly = Object.assign(class NoVersionClient {}, { [Symbol.for('berth.deployment-client')]: true });
    const { specificationVersion: _declared, ...undeclared } = fakeTarget as Record<string, unknown>;
    registerTarget('nospec', async () => ({ ...undeclared, PluginDeploymentClient: brandOnly }));
    await expect(loadTarget('nospec', isolated)).rejects.toThrow(
      /Target 'nospec' .* does not declare a specificationVersion/,
    );
  });

  it('loads every minor of its major: 1.0 as declared by core 0.1 (v1), 1.0, and a newer 1.x', async () => {
    for (const [name, declared, major, minor] of [
      ['legacyv1', 'v1', 1, 0],
      ['onezero', '1.0', 1, 0],
      ['onenine', '1.9', 1, 9],
    ] as const) {
      registerTarget(name, async () => ({ ...fakeTarget, specificationVersion: declared }));
      const { module } = await loadTarget(name, isolated);
      expect(module.specificationVersion).toMatchObject({ major, minor, text: declared });
    }
  });

  it('adapts a 1.0 client that brings its own older core: close() is added, everything else is the target own', async () => {
    // What a target bundling core 0.1 looks like from here: branded, 'v1' on its base, no close().
    const brand = Symbol.for('berth.deployment-client');
    class OldBase {
      static [brand] = true;
      static specificationVersion = 'v1';
      constructor(readonly targetUri: string) {}
    }
    class OldClient extends OldBase {
      async getDeployment(name: string) {
        return { name, from: this.targetUri };
      }
    }
    const { specificationVersion: _current, ...contract } = fakeTarget as Record<string, unknown>;
    registerTarget('oldcore', async () => ({ ...contract, PluginDeploymentClient: OldClient }));
    const { module } = await loadTarget('oldcore', isolated);
    expect(module.specificationVersion.text).toBe('v1');
    expect(module.clientClass.name).toBe('OldClient');
    const client = new module.clientClass('oldcore:/x');
    await expect(client.close()).resolves.toBeUndefined();
    await expect(client.getDeployment('a')).resolves.toEqual({ name: 'a', from: 'oldcore:/x' });
    // A client that already has close() is not wrapped.
    registerTarget('current', async () => fakeTarget);
    expect((await loadTarget('current', isolated)).module.clientClass).toBe(PluginDeploymentClient);
  });

  it('wraps a loader failure with the target and package, keeping the cause', async () => {
    const cause = new Error('Cannot find module "missing-dependency"');
    registerTarget('broken', () => Promise.reject(cause), { packageName: 'broken-target' });
    const error = (await loadTarget('broken', isolated).catch((caught: unknown) => caught)) as BerthError;
    expect(error.message).toBe(
      'Failed to load the plugin "broken" (package broken-target): Cannot find module "missing-dependency"',
    );
    expect(error.cause).toBe(cause);
  });

  it('rejects invalid target names at registration', () => {
    expect(() => registerTarget('Bad_Name', async () => fakeTarget)).toThrow(/Invalid target name 'Bad_Name'/);
  });
});

describe('default target (test_interface)', () => {
  it('uses setDeploymentsTarget, then BERTH_TARGET, then MLFLOW_DEPLOYMENTS_TARGET', async () => {
    vi.stubEnv('BERTH_TARGET', '');
    vi.stubEnv('MLFLOW_DEPLOYMENTS_TARGET', 'faketarget:/from-mlflow-env');
    expect((await getDeployClient(undefined, isolated)).targetUri).toBe('faketarget:/from-mlflow-env');
    vi.stubEnv('BERTH_TARGET', 'faketarget:/from-berth-env');
    expect((await getDeployClient(undefined, isolated)).targetUri).toBe('faketarget:/from-berth-env');
    setDeploymentsTarget('faketarget://from-code');
    expect((await getDeployClient(undefined, isolated)).targetUri).toBe('faketarget://from-code');
  });

  it('throws a clear error (MLflow returns None) when no target is set', async () => {
    vi.stubEnv('BERTH_TARGET', '');
    vi.stubEnv('MLFLOW_DEPLOYMENTS_TARGET', '');
    await expect(getDeployClient(undefined, isolated)).rejects.toThrow(/No deployments target has been set/);
  });
});

describe('runLocal and targetHelp', () => {
  it('pass name, model URI, flavor and {} config to the plugin', async () => {
    fakeTarget.runLocalCalls.length = 0;
    await runLocal('faketarget', 'name', 'runs:/1/model', { flavor: 'onnx', ...isolated });
    await runLocal('faketarget:/x', 'name2', 'models:/m/1', { config: { port: 5001 }, ...isolated });
    expect(fakeTarget.runLocalCalls).toEqual([
      ['name', 'runs:/1/model', 'onnx', {}],
      ['name2', 'models:/m/1', undefined, { port: 5001 }],
    ]);
  });

  it('returns the plugin’s help text', async () => {
    expect(await targetHelp('faketarget', isolated)).toBe('Target help is called');
  });
});

describe('BaseDeploymentClient defaults', () => {
  it('rejects predictStream on the first next() and the other optional methods with NOT_IMPLEMENTED', async () => {
    const client = await getDeployClient('faketarget:/x', isolated);
    const stream = client.predictStream('n', { inputs: [1] });
    const iterator = stream[Symbol.asyncIterator]();
    const error = (await iterator.next().catch((caught: unknown) => caught)) as BerthError;
    expect(BerthError.isInstance(error)).toBe(true);
    expect(error.code).toBe('NOT_IMPLEMENTED');
    expect(error.message).toContain("'faketarget:/x'");

    class MinimalClient extends PluginDeploymentClient {}
    for (const method of [
      'createEndpoint',
      'updateEndpoint',
      'deleteEndpoint',
      'listEndpoints',
      'getEndpoint',
    ] as const) {
      const base = BaseDeploymentClient.prototype[method] as (this: unknown, name?: string) => Promise<unknown>;
      await expect(base.call(new MinimalClient('x'), 'e')).rejects.toThrow(
        'Method is unimplemented in base client. Implementation should be provided by specific target plugins.',
      );
    }
    await expect(BaseDeploymentClient.prototype.explain.call(client, 'n', {})).rejects.toMatchObject({
      code: 'NOT_IMPLEMENTED',
    });
  });
});

describe('listTargets with code registrations', () => {
  it('lists code registrations first, with their info', async () => {
    const { targets, warnings } = await listTargets(isolated);
    expect(warnings).toEqual([]);
    expect(targets).toEqual([
      {
        name: 'faketarget',
        packageName: 'mlflow-test-plugin',
        version: '1.0.0',
        source: 'code',
        entry: '(code)',
      },
    ]);
  });
});
