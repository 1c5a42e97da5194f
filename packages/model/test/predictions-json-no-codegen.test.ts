import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url));

// Records answers of every builder: the compiled plan (numeric [N]/[N,k] outputs, int64 among them),
// the row constructor (a string output), and the tensors orientation.
const script = `
const { predictionsToJSON } = await import(${JSON.stringify(entry)});
const t = (dtype, shape, data) => ({ dtype, shape, data });
const outputs = [
  { kind: 'tensors', orientation: 'records', tensors: { label: t('int64', [2], new BigInt64Array([1n, 2n ** 60n])), probabilities: t('float32', [2, 3], new Float32Array([0.5, 0.25, 0.25, 0, 1, 0])) } },
  { kind: 'tensors', orientation: 'records', tensors: { name: t('string', [2], ['a', 'b']), score: t('float64', [2], new Float64Array([1.5, 2.5])) } },
  { kind: 'tensors', orientation: 'tensors', tensors: { x: t('int64', [1, 2], new BigInt64Array([3n, 4n])) } },
];
process.stdout.write(JSON.stringify(outputs.map((output) => predictionsToJSON(output))));
`;

function answers(flags: string[]): string[] {
  const run = spawnSync(process.execPath, [...flags, '--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  return JSON.parse(run.stdout) as string[];
}

describe('predictionsToJSON without code generation', () => {
  it('answers records and tensors under --disallow-code-generation-from-strings exactly as with it', () => {
    const refused = answers(['--disallow-code-generation-from-strings']);
    expect(refused).toEqual(answers([]));
    expect(JSON.parse(refused[0] as string)).toEqual({
      predictions: [
        { label: 1, probabilities: [0.5, 0.25, 0.25] },
        { label: '1152921504606846976', probabilities: [0, 1, 0] },
      ],
    });
    expect(JSON.parse(refused[1] as string)).toEqual({
      predictions: [
        { name: 'a', score: 1.5 },
        { name: 'b', score: 2.5 },
      ],
    });
    expect(JSON.parse(refused[2] as string)).toEqual({ predictions: { x: [[3, 4]] } });
  }, 60_000);
});
