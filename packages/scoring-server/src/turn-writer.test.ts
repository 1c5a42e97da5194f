import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { TurnWriter } from './turn-writer.js';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

function fakeResponse(log: string[], name: string, fail = false): ServerResponse {
  return {
    end(body: string) {
      if (fail) throw new Error(`${name} socket is gone`);
      log.push(`${name}:${body}`);
    },
  } as unknown as ServerResponse;
}

describe('TurnWriter', () => {
  it('ends the answers of one turn together at its end, each with its own body, in order', async () => {
    const log: string[] = [];
    const writer = new TurnWriter((error) => {
      throw error;
    });
    writer.end(fakeResponse(log, 'a'), '1');
    writer.end(fakeResponse(log, 'b'), '2');
    await Promise.resolve();
    writer.end(fakeResponse(log, 'c'), '3');
    // Nothing is written within the turn, microtasks included.
    expect(log).toEqual([]);
    expect(writer.pending).toBe(3);
    await nextTurn();
    expect(log).toEqual(['a:1', 'b:2', 'c:3']);
    expect(writer.pending).toBe(0);
  });

  it('starts a new group after a flush', async () => {
    const log: string[] = [];
    const writer = new TurnWriter(() => undefined);
    writer.end(fakeResponse(log, 'a'), '1');
    await nextTurn();
    writer.end(fakeResponse(log, 'b'), '2');
    expect(log).toEqual(['a:1']);
    await nextTurn();
    expect(log).toEqual(['a:1', 'b:2']);
  });

  it('a response that throws is reported and does not keep the others from being written', async () => {
    const log: string[] = [];
    const errors: unknown[] = [];
    const writer = new TurnWriter((error) => errors.push(error));
    writer.end(fakeResponse(log, 'a'), '1');
    writer.end(fakeResponse(log, 'b', true), '2');
    writer.end(fakeResponse(log, 'c'), '3');
    await nextTurn();
    expect(log).toEqual(['a:1', 'c:3']);
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toContain('b socket is gone');
  });
});
