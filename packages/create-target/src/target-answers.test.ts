import { describe, expect, it } from 'vitest';
import {
  AnswerError,
  checkTarget,
  defaultPackageName,
  normaliseScope,
  parseCapabilities,
  pascalCase,
  targetFromDirectory,
} from './target-answers.js';

describe('target answers', () => {
  it('accepts URI-scheme names usable as file stems and refuses the rest, saying why', () => {
    expect(checkTarget('acme')).toBe('acme');
    expect(checkTarget('my-cloud2')).toBe('my-cloud2');
    for (const bad of ['Acme', '1acme', 'ac_me', 'ac.me', 'acme-', '', 'a'.repeat(25)]) {
      expect(() => checkTarget(bad), bad).toThrow(AnswerError);
    }
    expect(() => checkTarget('Acme')).toThrow(/start with a lowercase letter/);
  });

  it('normalises the scope and names the package by the discovery convention', () => {
    expect(normaliseScope('acme')).toBe('@acme');
    expect(normaliseScope(' @acme ')).toBe('@acme');
    expect(normaliseScope('')).toBeUndefined();
    expect(() => normaliseScope('@Ac me')).toThrow(AnswerError);
    expect(defaultPackageName('acme', undefined)).toBe('berth-target-acme');
    expect(defaultPackageName('acme', '@org')).toBe('@org/berth-target-acme');
  });

  it('reads capabilities as a comma list, refusing unknown ones', () => {
    expect(parseCapabilities('endpoints, stream')).toEqual(['stream', 'endpoints']);
    expect(parseCapabilities('none')).toEqual([]);
    expect(parseCapabilities('')).toEqual([]);
    expect(() => parseCapabilities('stream,batch')).toThrow(
      /Unknown capabilities: batch. Choose from stream, explain, endpoints/,
    );
  });

  it('derives names', () => {
    expect(pascalCase('my-cloud-2')).toBe('MyCloud2');
    expect(targetFromDirectory('/work/berth-target-acme/')).toBe('acme');
    expect(targetFromDirectory('My Target')).toBe('my-target');
    expect(targetFromDirectory('123')).toBeUndefined();
  });
});
