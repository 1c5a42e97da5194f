import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { BerthError } from './berth-error.js';
import { HttpDatasetSource, LocalDatasetSource, StdinDatasetSource } from './builtin-dataset-sources.js';
import type { DatasetSource } from './dataset-source.js';
import { getSource, listDatasetSources, registerDatasetSource, sourceFromJSON } from './dataset-source-registry.js';
import { clearDiscoveryCache } from './package-discovery.js';
import { makeTempDirectory, removeTempDirectories, writePackage } from './testing/package-fixtures.js';

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
let server: Server | undefined;

afterEach(async () => {
  clearDiscoveryCache();
  await removeTempDirectories();
  if (server) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    server = undefined;
  }
});

async function isolated() {
  const root = await makeTempDirectory('datasets');
  return { root, options: { cwd: root, berthHome: join(root, 'home'), corePath: join(root, 'no-core/index.js') } };
}

describe('built-in dataset sources', () => {
  it('reads a path and a file: URI as local sources, and round-trips them through JSON', async () => {
    const { root, options } = await isolated();
    const file = join(root, 'input.json');
    await writeFile(file, '{"inputs": [[1, 2]]}');
    for (const raw of [file, pathToFileURL(file).href]) {
      const source = await getSource(raw, options);
      expect(source).toBeInstanceOf(LocalDatasetSource);
      expect(source.sourceType).toBe('local');
      expect(source.toJSON()).toEqual({ sourceType: 'local', path: file });
      expect(text(await source.load())).toBe('{"inputs": [[1, 2]]}');
      const again = await sourceFromJSON(JSON.stringify(source.toJSON()), options);
      expect(text(await again.load())).toBe('{"inputs": [[1, 2]]}');
    }
  });

  it('reports a missing file as RESOURCE_DOES_NOT_EXIST', async () => {
    const { root, options } = await isolated();
    const source = await getSource(join(root, 'nope.csv'), options);
    await expect(source.load()).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it('fetches an http URL from a loopback server', async () => {
    const { options } = await isolated();
    server = createServer((request, response) => {
      if (request.url === '/data.csv') response.writeHead(200).end('a,b\n1,2\n');
      else response.writeHead(404).end('missing');
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const source = await getSource(`${base}/data.csv`, options);
    expect(source).toBeInstanceOf(HttpDatasetSource);
    expect(source.toJSON()).toEqual({ sourceType: 'http', url: `${base}/data.csv` });
    expect(text(await source.load())).toBe('a,b\n1,2\n');
    await expect((await getSource(`${base}/other.csv`, options)).load()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('reads standard input once for "-"', async () => {
    const { options } = await isolated();
    expect(await getSource('-', options)).toBeInstanceOf(StdinDatasetSource);
    const source = new StdinDatasetSource(Readable.from([Buffer.from('{"inputs":'), '[1]}']));
    expect(text(await source.load())).toBe('{"inputs":[1]}');
    expect(text(await source.load())).toBe('{"inputs":[1]}');
    expect(source.toJSON()).toEqual({ sourceType: 'stdin' });
  });

  it('says what it can read when nothing resolves a URI', async () => {
    const { options } = await isolated();
    const error = (await getSource('s3://bucket/key.csv', options).catch((caught: unknown) => caught)) as BerthError;
    expect(BerthError.isInstance(error)).toBe(true);
    expect(error.message).toBe('No dataset source can read "s3://bucket/key.csv".');
    expect(error.suggestions.join('\n')).toContain('Known dataset source types: stdin, http, local');
    await expect(sourceFromJSON({ sourceType: 's3', uri: 'x' }, options)).rejects.toMatchObject({
      code: 'RESOURCE_DOES_NOT_EXIST',
    });
    await expect(sourceFromJSON('{"path": "x"}', options)).rejects.toThrow(/string "sourceType"/);
    await expect(sourceFromJSON({ sourceType: 'local' }, options)).rejects.toThrow(/"path" must be a non-empty string/);
  });
});

describe('contributed dataset sources', () => {
  it('lets code registrations go first, even over a built-in', async () => {
    const { options } = await isolated();
    class MemorySource implements DatasetSource {
      readonly sourceType = 'memory';
      constructor(readonly key: string) {}
      async load() {
        return new TextEncoder().encode(`memory:${this.key}`);
      }
      toJSON() {
        return { sourceType: this.sourceType, key: this.key };
      }
    }
    registerDatasetSource('memory', {
      canResolve: (raw) => raw.startsWith('mem:') || raw.endsWith('.mem'),
      fromRaw: (raw) => new MemorySource(raw),
      fromJSON: (json) => new MemorySource(String(json.key)),
    });
    expect(text(await (await getSource('mem:abc', options)).load())).toBe('memory:mem:abc');
    // A path ending in .mem would be local, but the registration is asked first.
    expect((await getSource('/tmp/x.mem', options)).sourceType).toBe('memory');
    expect(text(await (await sourceFromJSON({ sourceType: 'memory', key: 'k' }, options)).load())).toBe('memory:k');
    expect(() => registerDatasetSource('Bad', { canResolve: () => false } as never)).toThrow(
      /Invalid dataset source type/,
    );
  });

  it('imports a package’s datasetSources only when no built-in type resolves the input', async () => {
    const { root, options } = await isolated();
    const marker = join(root, 'imported.txt');
    await writePackage(root, { name: 'app', dependencies: { 'berth-dataset-s3ish': '1' } });
    await writePackage(
      join(root, 'node_modules/berth-dataset-s3ish'),
      {
        name: 'berth-dataset-s3ish',
        version: '2.0.0',
        type: 'module',
        exports: { '.': './index.js' },
        datasetSources: { s3ish: { entry: '.' } },
      },
      {
        'index.js': `import { appendFileSync } from 'node:fs';
appendFileSync(${JSON.stringify(marker)}, 'imported\\n');
class S3ishSource {
  sourceType = 's3ish';
  constructor(uri) { this.uri = uri; }
  async load() { return new TextEncoder().encode('object at ' + this.uri); }
  toJSON() { return { sourceType: 's3ish', uri: this.uri }; }
}
export const datasetSources = {
  s3ish: {
    canResolve: (raw) => raw.startsWith('s3ish://'),
    fromRaw: (raw) => new S3ishSource(raw),
    fromJSON: (json) => new S3ishSource(json.uri),
  },
};
`,
      },
    );
    await writeFile(join(root, 'local.json'), '{}');
    expect((await getSource(join(root, 'local.json'), options)).sourceType).toBe('local');
    await expect(import('node:fs/promises').then((fs) => fs.access(marker))).rejects.toThrow();
    expect(await listDatasetSources(options)).toEqual(
      expect.arrayContaining([
        {
          sourceType: 's3ish',
          packageName: 'berth-dataset-s3ish',
          packageDir: join(root, 'node_modules/berth-dataset-s3ish'),
        },
      ]),
    );

    const source = await getSource('s3ish://bucket/data.csv', options);
    expect(text(await source.load())).toBe('object at s3ish://bucket/data.csv');
    const restored = await sourceFromJSON(source.toJSON(), options);
    expect(text(await restored.load())).toBe('object at s3ish://bucket/data.csv');
    const { readFile } = await import('node:fs/promises');
    expect(await readFile(marker, 'utf8')).toBe('imported\n'); // imported once, then cached
  });

  it('names the package when its entry does not export the declared source', async () => {
    const { root, options } = await isolated();
    await writePackage(root, { name: 'app', dependencies: { 'half-source': '1' } });
    await writePackage(
      join(root, 'node_modules/half-source'),
      { name: 'half-source', version: '1.0.0', type: 'module', datasetSources: { half: '.' } },
      { 'index.js': 'export const datasetSources = { half: { canResolve: () => true } };\n' },
    );
    await expect(getSource('gs://x', options)).rejects.toThrow(
      'Package half-source declares the dataset source "half", but its entry does not export datasetSources.half with fromRaw, fromJSON.',
    );
  });
});
