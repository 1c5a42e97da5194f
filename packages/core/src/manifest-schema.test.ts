import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from './package-manifest.js';

// `@berth/core/schema.json` is what publish checks and editors validate a target's package.json
// with; discovery's own reader must agree with it on every declaration.
const schema = createRequire(import.meta.url)('../schema.json');
const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'berth-manifest-schema-'));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function readerAccepts(deploymentTargets: unknown): Promise<boolean> {
  await writeFile(join(directory, 'package.json'), JSON.stringify({ name: 'x', version: '1.0.0', deploymentTargets }));
  const { manifest, warnings } = await readManifest(directory);
  return manifest !== undefined && warnings.length === 0;
}

describe('schema.json (the deploymentTargets manifest)', () => {
  it.each([
    [{ sagemaker: '.' }, true],
    [{ sagemaker: { entry: '.', summary: 'Amazon SageMaker', uri: 'sagemaker[:/region]' } }, true],
    [{ http: { entry: './http' }, https: { entry: './http' } }, true],
    [{ local: {} }, true], // entry defaults to "."
    [{ SageMaker: '.' }, false], // names are URI schemes: lowercase
    [{ '1target': '.' }, false],
    [{ sagemaker: '' }, false],
    [{ sagemaker: { entry: 3 } }, false],
    [{ sagemaker: { summary: 7 } }, false],
    [{ sagemaker: ['.'] }, false],
  ])('%j → valid: %s, by the schema and by discovery alike', async (declaration, valid) => {
    expect(validate({ deploymentTargets: declaration }), JSON.stringify(validate.errors)).toBe(valid);
    expect(await readerAccepts(declaration)).toBe(valid);
  });
});
