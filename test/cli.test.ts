import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { berthBin, escapeRegExp, fakeVersion, type RunOptions, runBerth } from './helpers/berth-process.js';

// The built `berth` binary run as a subprocess from inside the workspace, where the fixture targets
// (test/fixtures/berth-target-fake: MLflow's faketarget; berth-target-bundled: its own copy of the
// core contract) are discovered through test/package.json. Mirrors MLflow's tests/deployments/test_cli.py.

let home: string;
let files: string;

beforeAll(async () => {
  if (!existsSync(berthBin)) throw new Error(`${berthBin} is missing: build first (pnpm build)`);
  home = await mkdtemp(join(tmpdir(), 'berth-cli-home-'));
  files = await mkdtemp(join(tmpdir(), 'berth-cli-files-'));
});

afterAll(async () => {
  await rm(home, { recursive: true, force: true });
  await rm(files, { recursive: true, force: true });
});

function berth(args: string[], options: RunOptions = {}) {
  return runBerth(args, { ...options, env: { BERTH_HOME: home, ...options.env } });
}

async function inputFile(name: string, content: string): Promise<string> {
  const path = join(files, name);
  await writeFile(path, content);
  return path;
}

describe('deployment commands (MLflow test_cli parity)', () => {
  it('create prints "{flavor} deployment {name} is created" with long and short flags', async () => {
    const long = await berth([
      'create',
      '--target',
      'faketarget',
      '--name',
      'n',
      '--model-uri',
      'runs:/r/m',
      '--flavor',
      'pyfunc',
    ]);
    expect(long.stderr).toBe('');
    expect(long.code).toBe(0);
    expect(long.stdout).toBe('pyfunc deployment fake_deployment_name is created\n');
    const short = await berth(['create', '-t', 'faketarget', '--name', 'n', '-m', 'runs:/r/m', '-f', 'onnx']);
    expect(short.code).toBe(0);
    expect(short.stdout).toContain('onnx deployment fake_deployment_name is created');
  });

  it('create without a flavor says the deployment is created', async () => {
    const result = await berth(['create', '-t', 'faketarget', '--name', 'n', '-m', 'm']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('Deployment fake_deployment_name is created\n');
  });

  it('update prints the flavor when the target reports one', async () => {
    const withFlavor = await berth(['update', '-t', 'faketarget', '--name', 'dep', '-f', 'onnx']);
    expect(withFlavor.code).toBe(0);
    expect(withFlavor.stdout).toBe('Deployment dep is updated (with flavor onnx)\n');
    const without = await berth(['update', '-t', 'faketarget', '--name', 'dep', '-m', 'models:/m/2']);
    expect(without.code).toBe(0);
    expect(without.stdout).toBe('Deployment dep is updated\n');
  });

  it('delete prints "Deployment {name} is deleted"', async () => {
    const result = await berth(['delete', '-t', 'faketarget', '--name', 'dep']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('Deployment dep is deleted\n');
  });

  it('list prints a table of deployments', async () => {
    const result = await berth(['list', '-t', 'faketarget']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('List of all deployments:');
    expect(lines[1]).toMatch(/^NAME\s+ENDPOINT$/);
    expect(lines[2]).toMatch(/^fake_deployment_name\s+null$/);
  });

  it('list passes --endpoint to the target', async () => {
    const result = await berth(['list', '-t', 'faketarget', '--endpoint', 'ep', '--json']);
    expect(JSON.parse(result.stdout)).toEqual([{ name: 'fake_deployment_name', endpoint: 'ep' }]);
  });

  it('-C raiseError=True reaches the target on create and delete; its exception is printed, exit 1', async () => {
    for (const command of [
      ['create', '-t', 'faketarget', '--name', 'n', '-m', 'm', '-C', 'raiseError=True'],
      ['delete', '-t', 'faketarget', '--name', 'n', '--config', 'raiseError=True'],
    ]) {
      const result = await berth(command);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe('Error: Error requested\n');
    }
  });

  it('a target error in list (env raiseError=True) exits 1', async () => {
    const result = await berth(['list', '-t', 'faketarget'], { env: { raiseError: 'True' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Error: Error requested');
  });

  it('get prints key: value lines', async () => {
    const result = await berth(['get', '-t', 'faketarget', '--name', 'dep']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('name: dep\nkey1: val1\nkey2: val2\n\n');
  });

  it('help prints the target help', async () => {
    const result = await berth(['help', '-t', 'faketarget']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('Target help is called\n');
  });

  it('run-local passes name, model URI, flavor and an empty config', async () => {
    const result = await berth(['run-local', '-t', 'faketarget', '--name', 'local1', '-m', '/models/m', '-f', 'onnx']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      "Deployed locally at the key local1 using the model from /models/m. It's flavor is onnx and config is {}\n",
    );
  });

  it('accepts target URIs with a suffix, and passes the full URI to the client', async () => {
    const input = await inputFile('suffix.json', '{"inputs": [1]}');
    for (const uri of ['faketarget:/somesuffix', 'faketarget://somesuffix']) {
      const result = await berth(['predict', '-t', uri, '--name', 'echo', '-I', input]);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({ predictions: { inputs: [1] }, target: uri });
    }
  });
});

describe('predict, explain, predict-stream', () => {
  it('predict reads a JSON file and prints the PredictionsResponse', async () => {
    const input = await inputFile('input.json', '{"data": [5000]}');
    const result = await berth(['predict', '-t', 'faketarget', '--name', 'dep', '--input-path', input]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ predictions: [1, 2, 3] });
  });

  it('predict --output-path writes the JSON file and prints nothing', async () => {
    const input = await inputFile('input-o.json', '{"data": [5000]}');
    const output = join(files, 'out.json');
    const result = await berth(['predict', '-t', 'faketarget', '--name', 'dep', '-I', input, '-O', output]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(JSON.parse(await readFile(output, 'utf8'))).toEqual({ predictions: [1, 2, 3] });
  });

  it('wraps what pandas.read_json accepted: a dict of columns and a list of records', async () => {
    const columns = await inputFile('columns.json', '{"a": [1, 2], "b": {"0": "x", "1": "y"}}');
    const byColumns = await berth(['predict', '-t', 'faketarget', '--name', 'echo', '-I', columns]);
    expect(JSON.parse(byColumns.stdout).predictions).toEqual({
      dataframe_split: {
        columns: ['a', 'b'],
        data: [
          [1, 'x'],
          [2, 'y'],
        ],
      },
    });
    const records = await inputFile('records.json', '[{"a": 1}, {"a": 2}]');
    const byRecords = await berth(['predict', '-t', 'faketarget', '--name', 'echo', '-I', records]);
    expect(JSON.parse(byRecords.stdout).predictions).toEqual({ dataframe_records: [{ a: 1 }, { a: 2 }] });
  });

  it('passes a scoring-protocol body through unchanged', async () => {
    const body = { dataframe_split: { columns: ['x'], data: [[1.5]] }, params: { top_k: 2 } };
    const input = await inputFile('body.json', JSON.stringify(body));
    const result = await berth(['predict', '-t', 'faketarget', '--name', 'echo', '-I', input]);
    expect(JSON.parse(result.stdout).predictions).toEqual(body);
  });

  it('reads stdin with -I -', async () => {
    const result = await berth(['predict', '-t', 'faketarget', '--name', 'echo', '-I', '-'], {
      input: '{"instances": [[1, 2]]}',
    });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).predictions).toEqual({ instances: [[1, 2]] });
  });

  it('sends CSV as {csv: text}, chosen by extension or --content-type', async () => {
    const csv = 'a,b\n1,2\n';
    const file = await inputFile('input.csv', csv);
    const byExtension = await berth(['predict', '-t', 'faketarget', '--name', 'echo', '-I', file]);
    expect(JSON.parse(byExtension.stdout).predictions).toEqual({ csv });
    const byFlag = await berth(['predict', '-t', 'faketarget', '--name', 'echo', '-I', '-', '--content-type', 'csv'], {
      input: csv,
    });
    expect(JSON.parse(byFlag.stdout).predictions).toEqual({ csv });
  });

  it('reads a dataset source URI (file:)', async () => {
    const input = await inputFile('source.json', '{"inputs": {"x": [3]}}');
    const result = await berth(['predict', '-t', 'faketarget', '--name', 'echo', '-I', pathToFileURL(input).href]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).predictions).toEqual({ inputs: { x: [3] } });
  });

  it('predicts through an endpoint with --endpoint', async () => {
    const input = await inputFile('endpoint.json', '{"inputs": [0]}');
    const result = await berth(['predict', '-t', 'faketarget', '--endpoint', 'echo', '-I', input]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).predictions).toEqual({ inputs: [0] });
  });

  it('requires exactly one of --name or --endpoint (usage error, exit 2)', async () => {
    const input = await inputFile('one.json', '{"inputs": [0]}');
    for (const command of ['predict', 'explain', 'predict-stream']) {
      const neither = await berth([command, '-t', 'faketarget', '-I', input]);
      expect(neither.code).toBe(2);
      expect(neither.stderr).toContain('Error: Must specify exactly one of --name or --endpoint.');
      const both = await berth([command, '-t', 'faketarget', '--name', 'a', '--endpoint', 'b', '-I', input]);
      expect(both.code).toBe(2);
      expect(both.stderr).toContain('Must specify exactly one of --name or --endpoint.');
    }
  });

  it('rejects input that is not JSON with exit 3', async () => {
    const input = await inputFile('broken.json', '{"inputs": [1,');
    const result = await berth(['predict', '-t', 'faketarget', '--name', 'dep', '-I', input]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('is not valid JSON');
    expect(result.stderr).toContain('--content-type csv');
  });

  it('explain prints the explanation as JSON', async () => {
    const input = await inputFile('explain.json', '{"data": [5000]}');
    const result = await berth(['explain', '-t', 'faketarget', '--name', 'dep', '-I', input]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toBe('1');
  });

  it('predict-stream prints one JSON line per chunk, or writes them to -O', async () => {
    const input = await inputFile('stream.json', '{"inputs": [1]}');
    const result = await berth(['predict-stream', '-t', 'faketarget', '--name', 'dep', '-I', input]);
    expect(result.code).toBe(0);
    const lines = result.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toEqual([
      { index: 0, predictions: [1] },
      { index: 1, predictions: [2] },
      { index: 2, predictions: [3] },
    ]);
    const output = join(files, 'stream.jsonl');
    const toFile = await berth(['predict-stream', '-t', 'faketarget', '--name', 'dep', '-I', input, '-O', output]);
    expect(toFile.stdout).toBe('');
    expect((await readFile(output, 'utf8')).trimEnd().split('\n')).toHaveLength(3);
  });
});

describe('endpoint commands', () => {
  it('create-endpoint works (MLflow passes the wrong keyword here) and honours raiseError', async () => {
    const created = await berth(['create-endpoint', '-t', 'faketarget', '--endpoint', 'ep', '-C', 'k=v']);
    expect(created.code).toBe(0);
    expect(created.stdout).toBe('Endpoint fake_endpoint_name is created\n');
    const json = await berth(['create-endpoint', '-t', 'faketarget', '--endpoint', 'ep', '-C', 'k=v', '--json']);
    expect(JSON.parse(json.stdout)).toEqual({ name: 'fake_endpoint_name', config: { k: 'v' } });
    const failed = await berth(['create-endpoint', '-t', 'faketarget', '--endpoint', 'ep', '-C', 'raiseError=True']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('Error: Error requested');
  });

  it('update-, delete-, list- and get-endpoint', async () => {
    const updated = await berth(['update-endpoint', '-t', 'faketarget', '--endpoint', 'ep']);
    expect(updated.stdout).toBe('Endpoint ep is updated\n');
    const deleted = await berth(['delete-endpoint', '-t', 'faketarget', '--endpoint', 'ep']);
    expect(deleted.stdout).toBe('Endpoint ep is deleted\n');
    const listed = await berth(['list-endpoints', '-t', 'faketarget']);
    expect(listed.stdout).toBe('List of all endpoints:\nNAME\nfake_endpoint_name\n');
    const got = await berth(['get-endpoint', '-t', 'faketarget', '--endpoint', 'ep']);
    expect(got.stdout).toBe('name: fake_endpoint_name\n\n');
  });
});

describe('-C config', () => {
  it('coerces values through the target config schema (--json shows what the target got)', async () => {
    const result = await berth(['create', '-t', 'faketarget', '--name', 'n', '-m', 'm', '-C', 'replicas=3', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ name: 'fake_deployment_name', flavor: null, config: { replicas: 3 } });
  });

  it('a pair without = and a repeated key are usage errors (exit 2)', async () => {
    const noEquals = await berth(['create', '-t', 'faketarget', '--name', 'n', '-m', 'm', '-C', 'replicas']);
    expect(noEquals.code).toBe(2);
    expect(noEquals.stderr).toContain('Config options must be a pair and should be provided as `-C key=value`');
    const repeated = await berth(['create', '-t', 'faketarget', '--name', 'n', '-m', 'm', '-C', 'a=1', '-C', 'a=2']);
    expect(repeated.code).toBe(2);
    expect(repeated.stderr).toContain("Repeated parameter: 'a'");
  });

  it('an unknown key suggests the closest one (exit 3)', async () => {
    const result = await berth(['create', '-t', 'faketarget', '--name', 'n', '-m', 'm', '-C', 'replica=2']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("Unknown config key for target 'faketarget': 'replica' (did you mean 'replicas'?)");
    expect(result.stderr).toContain('berth help -t faketarget');
  });

  it('a value of the wrong type is rejected (exit 3)', async () => {
    const result = await berth(['create', '-t', 'faketarget', '--name', 'n', '-m', 'm', '-C', 'replicas=many']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("Invalid value for config key 'replicas'");
  });
});

describe('targets and defaults', () => {
  it('a missing target exits 4, lists the installed targets and says how to install it', async () => {
    const result = await berth(['create', '-t', 'nosuchtarget', '--name', 'n', '-m', 'm']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('Error: No plugin found for managing model deployments to "nosuchtarget"');
    expect(result.stderr).toMatch(/Installed targets: .*faketarget/);
    expect(result.stderr).toContain('berth targets add @berth/target-nosuchtarget');
  });

  it('without -t and without a default target: usage error, exit 2', async () => {
    const result = await berth(['list']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Missing option '-t, --target <uri>'");
    expect(result.stderr).toContain('BERTH_TARGET');
  });

  it('uses BERTH_TARGET, then MLFLOW_DEPLOYMENTS_TARGET, as the default target', async () => {
    const berthTarget = await berth(['list', '--json'], { env: { BERTH_TARGET: 'faketarget' } });
    expect(berthTarget.code).toBe(0);
    expect(JSON.parse(berthTarget.stdout)[0].name).toBe('fake_deployment_name');
    const mlflowTarget = await berth(['help'], { env: { MLFLOW_DEPLOYMENTS_TARGET: 'faketarget' } });
    expect(mlflowTarget.stdout).toBe('Target help is called\n');
    const precedence = await berth(['help'], {
      env: { BERTH_TARGET: 'bundledtarget', MLFLOW_DEPLOYMENTS_TARGET: 'faketarget' },
    });
    expect(precedence.stdout).toContain('Bundled target help');
  });

  it('berth targets lists name, package, version, source, URI syntax and summary', async () => {
    const result = await berth(['targets']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+PACKAGE\s+VERSION\s+SOURCE\s+URI\s+SUMMARY$/);
    const fake = lines.find((line) => line.startsWith('faketarget '));
    expect(fake).toMatch(
      new RegExp(
        `^faketarget\\s+berth-target-fake\\s+${escapeRegExp(fakeVersion)}\\s+project\\s+faketarget\\[:/suffix\\]\\s+Fake target for Berth's tests`,
      ),
    );
    expect(lines.some((line) => /^bundledtarget\s+berth-target-bundled\s/.test(line))).toBe(true);
  });

  it('berth targets --json describes each target', async () => {
    const result = await berth(['targets', '--json']);
    const { targets, warnings } = JSON.parse(result.stdout);
    expect(Array.isArray(warnings)).toBe(true);
    expect(targets).toContainEqual(
      expect.objectContaining({
        name: 'faketarget',
        packageName: 'berth-target-fake',
        version: fakeVersion,
        source: 'project',
        uri: 'faketarget[:/suffix]',
      }),
    );
  });

  it('root --help lists commands, and berth alone prints the same usage, exit 0', async () => {
    const help = await berth(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['create', 'update', 'predict-stream', 'create-endpoint', 'get-endpoint', 'targets']) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    }
    expect(help.stdout).toContain("'berth targets'");
    const bare = await berth([]);
    expect(bare.code).toBe(0);
    expect(bare.stdout).toBe(help.stdout);
  });

  it('berth help <command> prints that command’s options', async () => {
    const result = await berth(['help', 'predict']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: berth predict [options]');
    expect(result.stdout).toContain('-I, --input-path <path>');
    expect(result.stdout).toContain('--content-type <type>');
  });

  it('a target bundling its own copy of the core contract is loaded and its errors are recognised', async () => {
    const created = await berth(['create', '-t', 'bundledtarget', '--name', 'b1', '-m', 'm']);
    expect(created.code).toBe(0);
    expect(created.stdout).toBe('bundled deployment b1 is created\n');
    const input = await inputFile('bundled.json', '{"inputs": [1]}');
    const predicted = await berth(['predict', '-t', 'bundledtarget', '--name', 'b1', '-I', input]);
    expect(JSON.parse(predicted.stdout)).toEqual({ predictions: ['bundled', 'b1'], received: { inputs: [1] } });
    // Errors of the other copy carry the shared marker: mapped by code, with suggestions.
    const missing = await berth(['get', '-t', 'bundledtarget', '--name', 'nope']);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain('This error comes from a second copy of the error class.');
    const stream = await berth(['predict-stream', '-t', 'bundledtarget', '--name', 'b1', '-I', input]);
    expect(stream.code).toBe(7);
  });
});

describe('errors, exit codes and --json', () => {
  it('maps error codes to exit codes: RESOURCE_DOES_NOT_EXIST → 4, NOT_IMPLEMENTED → 7', async () => {
    const missing = await berth(['get', '-t', 'faketarget', '--name', 'missing']);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toBe(
      "Error: Deployment 'missing' does not exist on faketarget\n  Run 'berth list -t faketarget' to see the deployments.\n",
    );
  });

  it('prints no stack trace unless BERTH_DEBUG=1', async () => {
    const quiet = await berth(['get', '-t', 'faketarget', '--name', 'missing']);
    expect(quiet.stderr).not.toMatch(/^\s+at /m);
    const debug = await berth(['get', '-t', 'faketarget', '--name', 'missing'], { env: { BERTH_DEBUG: '1' } });
    expect(debug.code).toBe(4);
    expect(debug.stderr).toMatch(/^\s+at .*getDeployment/m);
  });

  it('usage errors exit 2: missing required option, unknown option, unknown command, bad choice', async () => {
    const cases = [
      [['create', '-t', 'faketarget', '--name', 'n'], "required option '-m, --model-uri <uri>' not specified"],
      [['list', '-t', 'faketarget', '--bogus'], "unknown option '--bogus'"],
      [['deploy'], "unknown command 'deploy'"],
      [['help', 'deploy'], "unknown command 'deploy'"],
      [['targets', 'add'], "missing required argument 'packages'"],
      [['predict', '-t', 'faketarget', '--name', 'n', '-I', '-', '--content-type', 'xml'], 'xml'],
    ] as const;
    for (const [args, message] of cases) {
      const result = await berth([...args]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toContain(message);
      expect(result.stderr).toMatch(/^Error: /);
    }
  });

  it('--json prints machine-readable results on every deployment command', async () => {
    const created = await berth(['create', '-t', 'faketarget', '--name', 'n', '-m', 'm', '-f', 'onnx', '--json']);
    expect(JSON.parse(created.stdout)).toEqual({ name: 'fake_deployment_name', flavor: 'onnx', config: {} });
    const got = await berth(['get', '-t', 'faketarget', '--name', 'd', '--json']);
    expect(JSON.parse(got.stdout)).toEqual({ name: 'd', key1: 'val1', key2: 'val2' });
    const deleted = await berth(['delete', '-t', 'faketarget', '--name', 'd', '--json']);
    expect(JSON.parse(deleted.stdout)).toEqual({ name: 'd', deleted: true });
    const help = await berth(['help', '-t', 'faketarget', '--json']);
    expect(JSON.parse(help.stdout)).toEqual({ target: 'faketarget', help: 'Target help is called' });
    const endpoints = await berth(['list-endpoints', '-t', 'faketarget', '--json']);
    expect(JSON.parse(endpoints.stdout)).toEqual([{ name: 'fake_endpoint_name' }]);
  });

  it('--json errors go to stderr as JSON with the error code', async () => {
    const result = await berth(['get', '-t', 'faketarget', '--name', 'missing', '--json']);
    expect(result.code).toBe(4);
    expect(result.stdout).toBe('');
    expect(JSON.parse(result.stderr)).toEqual({
      error_code: 'RESOURCE_DOES_NOT_EXIST',
      message: "Deployment 'missing' does not exist on faketarget",
      suggestions: ["Run 'berth list -t faketarget' to see the deployments."],
    });
  });

  it('targets remove of a package that is not in the plugin folder exits 4', async () => {
    const result = await berth(['targets', 'remove', 'berth-target-nothere']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain("Package 'berth-target-nothere' is not installed in the plugin folder");
  });
});
