import { describe, expect, it } from 'vitest';
import { renderPath, renderTemplate, TemplateError } from './template-rendering.js';

const values = { id: 'acme', Pascal: 'Acme' };

describe('renderTemplate', () => {
  it('keeps the blocks of the declared capabilities and drops the others', () => {
    const text = ['a', '// #if endpoints', 'e', '// #endif', '// #if !endpoints', 'no e', '// #endif', 'z'].join('\n');
    expect(renderTemplate(text, values, new Set(['endpoints']), 't')).toBe('a\ne\nz');
    expect(renderTemplate(text, values, new Set(), 't')).toBe('a\nno e\nz');
  });

  it('reads the directive in YAML and Markdown comments too', () => {
    expect(
      renderTemplate(
        '# #if stream\ns\n# #endif\n<!-- #if explain -->\nx\n<!-- #endif -->',
        values,
        new Set(['explain']),
        't',
      ),
    ).toBe('x');
  });

  it('fills placeholders and refuses one it does not know', () => {
    expect(renderTemplate('class __Pascal__Client {} // __id__', values, new Set(), 't')).toBe(
      'class AcmeClient {} // acme',
    );
    expect(() => renderTemplate('__nope__', values, new Set(), 'src/x.ts')).toThrow(
      /src\/x.ts: unknown placeholder __nope__/,
    );
  });

  it('sorts the statements of a #sort block by module once names are filled', () => {
    const text = [
      '// #sort',
      "import { a } from './__id__-config.js';",
      'import {',
      '  b,',
      "} from './run-local.js';",
      '// #endsort',
    ].join('\n');
    expect(renderTemplate(text, { id: 'zeta' }, new Set(), 't').split('\n')).toEqual([
      'import {',
      '  b,',
      "} from './run-local.js';",
      "import { a } from './zeta-config.js';",
    ]);
    expect(renderTemplate(text, { id: 'acme' }, new Set(), 't').split('\n')[0]).toBe(
      "import { a } from './acme-config.js';",
    );
  });

  it('says where a directive is unbalanced', () => {
    expect(() => renderTemplate('// #if stream\nx', values, new Set(), 'f.ts')).toThrow(TemplateError);
    expect(() => renderTemplate('x\n// #endif', values, new Set(), 'f.ts')).toThrow(/f.ts:2: #endif without #if/);
    expect(() => renderTemplate('// #if a\n// #if b\n// #endif', values, new Set(), 'f.ts')).toThrow(
      /#if inside the #if of line 1/,
    );
  });
});

describe('renderPath', () => {
  it('names files after the target and turns dot- into a leading dot', () => {
    expect(renderPath('src/__id__-deployment-client.ts', values)).toBe('src/acme-deployment-client.ts');
    expect(renderPath('dot-github/workflows/ci.yml', values)).toBe('.github/workflows/ci.yml');
    expect(renderPath('dot-gitignore', values)).toBe('.gitignore');
    expect(renderPath('biome.json.template', values)).toBe('biome.json');
  });
});
