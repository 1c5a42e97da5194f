import { describe, expect, it } from 'vitest';
import { formatKeyValues, formatTable, formatValue, summaryColumns } from './text-table.js';

describe('formatTable', () => {
  it('aligns columns, puts name first and upper-cases headers from camelCase', () => {
    const table = formatTable([
      { state: 'ready', name: 'a', modelUri: 'runs:/1/m' },
      { name: 'longer-name', state: 'failed', port: 8080 },
    ]);
    expect(table.split('\n')).toEqual([
      'NAME         STATE   MODEL_URI  PORT',
      'a            ready   runs:/1/m',
      'longer-name  failed             8080',
    ]);
  });

  it('uses the given columns and renders objects as JSON on one line', () => {
    const table = formatTable([{ name: 'e', traffic: { a: 50, b: 50 }, extra: 1 }], ['name', 'traffic']);
    expect(table).toBe('NAME  TRAFFIC\ne     {"a":50,"b":50}');
  });
});

describe('formatKeyValues / formatValue', () => {
  it('prints key: value lines with strings bare', () => {
    expect(formatKeyValues({ name: 'd', port: 1, tags: ['x'], flavor: null })).toBe(
      'name: d\nport: 1\ntags: ["x"]\nflavor: null',
    );
    expect(formatValue(undefined)).toBe('');
    expect(formatKeyValues({ name: 'd', lastError: '', note: undefined })).toBe('name: d');
  });
});

describe('summaryColumns', () => {
  it('keeps the preferred columns that rows have, in preferred order, and says when fields are hidden', () => {
    const rows = [
      { name: 'a', pid: 1, url: 'http://x', state: 'ready' },
      { name: 'b', flavor: 'onnx' },
    ];
    expect(summaryColumns(rows, ['name', 'flavor', 'state', 'url', 'modelUri'])).toEqual({
      columns: ['name', 'flavor', 'state', 'url'],
      hidden: true,
    });
    expect(summaryColumns([{ name: 'a', state: 's' }], ['name', 'state'])).toEqual({
      columns: ['name', 'state'],
      hidden: false,
    });
  });

  it('falls back to the first six columns when a target returns none of the preferred ones', () => {
    const rows = [{ name: 'e', a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 }];
    expect(summaryColumns(rows, ['name', 'state'])).toEqual({
      columns: ['name', 'a', 'b', 'c', 'd', 'e'],
      hidden: true,
    });
  });
});
