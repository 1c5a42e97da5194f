import type { ProgressEvent } from '@berth/core';

/** The part of a stream progress needs; process.stderr in the CLI, a recorder in tests. */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): boolean;
}

/** What the CLI does on Ctrl-C while waiting; the process in the CLI, a recorder in tests. */
export interface InterruptHost {
  once(event: 'SIGINT', listener: () => void): unknown;
  off(event: 'SIGINT', listener: () => void): unknown;
  exit(code: number): never | undefined;
}

export interface ProgressOptions {
  json?: boolean | undefined;
  stream?: ProgressStream;
  interrupts?: InterruptHost;
  now?: () => number;
  /** How long Ctrl-C lets the task stop cleanly before the CLI exits anyway (default 5 s). */
  stopGraceMs?: number;
}

/** Long enough to abort a multipart upload or a request in flight; short enough not to feel stuck. */
const STOP_GRACE_MS = 5_000;

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const INTERVAL_MS = 100;

/** `75_000` → `1m 15s`; under a minute `12s`. */
export function formatElapsed(milliseconds: number): string {
  const seconds = Math.max(0, Math.floor(milliseconds / 1000));
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, '0')}s`;
}

/**
 * Runs a long operation and shows what it reports (`onProgress`, spec 1.1) while it waits:
 * on a terminal a spinner line with the latest message and the elapsed time, erased at the end;
 * on a pipe one plain line per new message (CI logs show how a long create went); with --json
 * nothing. Ctrl-C aborts the task's signal and gives it a few seconds to stop cleanly (a target
 * removes a half-done upload, stops waiting); then the CLI says what the target said happens next
 * (the operation may go on without us) and exits 130. A second Ctrl-C exits at once.
 */
export async function withProgress<T>(
  label: string,
  task: (onProgress: (event: ProgressEvent) => void, signal: AbortSignal) => Promise<T>,
  options: ProgressOptions = {},
): Promise<T> {
  const stream = options.stream ?? process.stderr;
  const interrupts = options.interrupts ?? (process as unknown as InterruptHost);
  const now = options.now ?? Date.now;
  const started = now();
  let latest: ProgressEvent | undefined;
  let printed: string | undefined;
  const quiet = Boolean(options.json);
  const terminal = !quiet && Boolean(stream.isTTY);

  let frame = 0;
  let drawn = 0;
  const line = () => {
    const elapsed = formatElapsed(latest?.elapsedMs ?? now() - started);
    const text = latest ? `${label}: ${latest.message} (${elapsed})` : `${label} (${elapsed})`;
    const width = (stream.columns ?? 100) - 3;
    return text.length > width ? `${text.slice(0, width - 1)}…` : text;
  };
  const draw = () => {
    const text = `${FRAMES[frame++ % FRAMES.length]} ${line()}`;
    stream.write(`\r${text}${' '.repeat(Math.max(0, drawn - text.length))}`);
    drawn = text.length;
  };
  const erase = () => stream.write(`\r${' '.repeat(drawn)}\r`);

  const onProgress = (event: ProgressEvent) => {
    if (typeof event?.message !== 'string') return;
    latest = event;
    if (quiet || terminal) return;
    if (event.message === printed) return;
    printed = event.message;
    stream.write(`[${formatElapsed(event.elapsedMs ?? now() - started)}] ${event.message}\n`);
  };
  let timer: ReturnType<typeof setInterval> | undefined;
  const controller = new AbortController();
  /** What the target said happens next, as it stood when Ctrl-C came. */
  let hint: string | undefined;
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  /** The task did not stop in time, or Ctrl-C came twice: say what goes on, and leave. */
  const leave = () => {
    clearTimeout(graceTimer);
    interrupts.off('SIGINT', leave);
    stream.write(`Stopped waiting (Ctrl-C).${hint ? ` ${hint}` : ''}\n`);
    interrupts.exit(130);
  };
  const onInterrupt = () => {
    if (timer) clearInterval(timer);
    if (terminal) erase();
    hint = latest?.interruptHint;
    stream.write('\nStopping (Ctrl-C; press it again to quit at once)…\n');
    interrupts.once('SIGINT', leave);
    graceTimer = setTimeout(leave, options.stopGraceMs ?? STOP_GRACE_MS);
    controller.abort();
  };

  interrupts.once('SIGINT', onInterrupt);
  if (terminal) {
    draw();
    timer = setInterval(draw, INTERVAL_MS);
  }
  try {
    return await task(onProgress, controller.signal);
  } catch (error) {
    if (controller.signal.aborted) {
      // A bare AbortError says nothing the target's hint does not say better.
      if ((error as { name?: unknown }).name === 'AbortError') {
        leave();
        throw error;
      }
      // It stopped: its own words say what was undone and what was left (the finally clears the timer).
      const suggestions = (error as { suggestions?: unknown }).suggestions;
      const lines = [`Stopped (Ctrl-C): ${error instanceof Error ? error.message : String(error)}`];
      if (Array.isArray(suggestions)) lines.push(...suggestions.map((suggestion) => `  ${String(suggestion)}`));
      stream.write(`${lines.join('\n')}\n`);
      interrupts.exit(130);
    }
    throw error;
  } finally {
    clearTimeout(graceTimer);
    interrupts.off('SIGINT', onInterrupt);
    interrupts.off('SIGINT', leave);
    if (timer) clearInterval(timer);
    if (terminal) erase();
  }
}
