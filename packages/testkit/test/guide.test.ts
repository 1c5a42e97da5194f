import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { CONTRACT_POINTS } from '../src/index.js';

// docs/writing-a-target.md explains each contract point by id; a point added here without its row
// there (or a row left for a removed point) fails this test.
it('the target guide lists exactly the contract points the suite checks', async () => {
  const guide = await readFile(new URL('../../../docs/writing-a-target.md', import.meta.url), 'utf8');
  const section = guide.slice(guide.indexOf('## Contract points'), guide.indexOf('## Publishing'));
  const listed = [...section.matchAll(/^\| `([a-z.-]+)` \|/gm)].map((match) => match[1]);
  expect(listed.sort()).toEqual(Object.keys(CONTRACT_POINTS).sort());
});
