import { describe, expect, it, vi } from 'vitest';
import { formatElapsed, type InterruptHost, withProgress } from './progress.js';

function recorder(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, columns: 200, write: (text: string) => writes.push(text) > 0 } };
}

/** A stand-in for `process`: records SIGINT listeners so a test can press Ctrl-C. */
function interruptRecorder() {
  const listeners = new Set<() => void>();
  const exits: number[] = [];
  const host: InterruptHost = {
    once: (_event, listener) => listeners.add(listener),
    off: (_event, listener) => listeners.delete(listener),
    exit: (code) => {
      exits.push(code);
      return undefined;
    },
  };
  // As process.once: each listener runs once, then is gone.
  const press = () => {
    for (const listener of [...listeners]) {
      listeners.delete(listener);
      listener();
    }
  };
  return { host, exits, press, listeners };
}

describe('withProgress', () => {
  it('draws a spinner on a terminal with the latest progress message and elapsed time, then erases it', async () => {
    const { writes, stream } = recorder(true);
    let clock = 0;
    const interrupts = interruptRecorder();
    const result = await withProgress(
      'Creating deployment d',
      async (onProgress) => {
        clock = 75_000;
        onProgress({ message: 'Endpoint d is Creating', state: 'Creating' });
        await vi.waitFor(() => expect(writes.some((text) => text.includes('Endpoint d is Creating'))).toBe(true));
        return 42;
      },
      { stream, now: () => clock, interrupts: interrupts.host },
    );
    expect(result).toBe(42);
    expect(writes[0]).toBe('\r⠋ Creating deployment d (0s)');
    expect(writes.some((text) => text.includes('Creating deployment d: Endpoint d is Creating (1m 15s)'))).toBe(true);
    expect(writes.at(-1)).toMatch(/^\r +\r$/);
    expect(interrupts.listeners.size).toBe(0); // the Ctrl-C handler is gone once the task ends
  });

  it('erases the spinner when the task fails, and passes the error on', async () => {
    const { writes, stream } = recorder(true);
    await expect(
      withProgress('x', () => Promise.reject(new Error('boom')), { stream, interrupts: interruptRecorder().host }),
    ).rejects.toThrow('boom');
    expect(writes.at(-1)).toMatch(/^\r +\r$/);
  });

  it('prints one plain line per new message on a pipe, and nothing at all with --json', async () => {
    const pipe = recorder(false);
    const task = async (onProgress: (event: { message: string; elapsedMs?: number }) => void) => {
      onProgress({ message: 'Creating', elapsedMs: 1_000 });
      onProgress({ message: 'Creating', elapsedMs: 2_000 }); // unchanged: no new line
      onProgress({ message: 'InService', elapsedMs: 61_000 });
      return 1;
    };
    expect(await withProgress('x', task, { stream: pipe.stream, interrupts: interruptRecorder().host })).toBe(1);
    expect(pipe.writes).toEqual(['[1s] Creating\n', '[1m 01s] InService\n']);
    const json = recorder(true);
    expect(
      await withProgress('x', task, { stream: json.stream, json: true, interrupts: interruptRecorder().host }),
    ).toBe(1);
    expect(json.writes).toEqual([]);
  });

  it('on Ctrl-C aborts the task, and when it stops prints what it said was undone and exits 130', async () => {
    const pipe = recorder(false);
    const interrupts = interruptRecorder();
    let seen: AbortSignal | undefined;
    const running = withProgress(
      'Creating deployment d',
      (onProgress, signal) =>
        new Promise<void>((_resolve, reject) => {
          seen = signal;
          onProgress({ message: 'Uploading model.tar.gz', interruptHint: 'The partial upload is removed.' });
          signal.addEventListener('abort', () =>
            setTimeout(() =>
              reject(
                Object.assign(new Error('The upload of s3://b/k was stopped; nothing was created in SageMaker.'), {
                  suggestions: ['Remove it with: aws s3api abort-multipart-upload …'],
                }),
              ),
            ),
          );
        }),
      { stream: pipe.stream, interrupts: interrupts.host, stopGraceMs: 10_000 },
    );
    interrupts.press();
    expect(seen?.aborted).toBe(true);
    expect(interrupts.exits).toEqual([]); // not before the task has stopped
    await expect(running).rejects.toThrow('was stopped');
    expect(interrupts.exits).toEqual([130]);
    expect(pipe.writes.slice(-2)).toEqual([
      '\nStopping (Ctrl-C; press it again to quit at once)…\n',
      'Stopped (Ctrl-C): The upload of s3://b/k was stopped; nothing was created in SageMaker.\n  Remove it with: aws s3api abort-multipart-upload …\n',
    ]);
    expect(interrupts.listeners.size).toBe(0);
  });

  it('when the task does not stop in time, says what the target said happens next and exits 130', async () => {
    const pipe = recorder(false);
    const interrupts = interruptRecorder();
    let release: () => void = () => {};
    const running = withProgress(
      'Creating deployment d',
      (onProgress) =>
        new Promise<void>((resolve) => {
          onProgress({
            message: 'Endpoint d is Creating',
            interruptHint: "SageMaker goes on creating 'd'; check it with `berth get -t sagemaker --name d`.",
          });
          release = resolve;
        }),
      { stream: pipe.stream, interrupts: interrupts.host, stopGraceMs: 20 },
    );
    interrupts.press();
    await vi.waitFor(() => expect(interrupts.exits).toEqual([130]));
    expect(pipe.writes.at(-1)).toBe(
      "Stopped waiting (Ctrl-C). SageMaker goes on creating 'd'; check it with `berth get -t sagemaker --name d`.\n",
    );
    release();
    await running;
  });

  it("a task that stops with a bare AbortError gets the target's hint, not 'This operation was aborted'", async () => {
    const pipe = recorder(false);
    const interrupts = interruptRecorder();
    const running = withProgress(
      'Creating deployment d',
      (onProgress, signal) =>
        new Promise<void>((_resolve, reject) => {
          onProgress({ message: 'Creating', interruptHint: 'The server goes on creating it.' });
          signal.addEventListener('abort', () => reject(signal.reason));
        }),
      { stream: pipe.stream, interrupts: interrupts.host, stopGraceMs: 10_000 },
    );
    interrupts.press();
    await expect(running).rejects.toThrow();
    expect(interrupts.exits).toEqual([130]);
    expect(pipe.writes.at(-1)).toBe('Stopped waiting (Ctrl-C). The server goes on creating it.\n');
  });

  it('a second Ctrl-C exits at once', async () => {
    const pipe = recorder(false);
    const interrupts = interruptRecorder();
    let release: () => void = () => {};
    const running = withProgress('x', () => new Promise<void>((resolve) => (release = resolve)), {
      stream: pipe.stream,
      interrupts: interrupts.host,
      stopGraceMs: 60_000,
    });
    interrupts.press();
    expect(interrupts.exits).toEqual([]);
    interrupts.press();
    expect(interrupts.exits).toEqual([130]);
    expect(pipe.writes.at(-1)).toBe('Stopped waiting (Ctrl-C).\n');
    release();
    await running;
  });

  it('formats elapsed times', () => {
    expect(formatElapsed(999)).toBe('0s');
    expect(formatElapsed(59_999)).toBe('59s');
    expect(formatElapsed(3_725_000)).toBe('62m 05s');
  });
});
