/** The part of a stream progress needs; process.stderr in the CLI, a recorder in tests. */
export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): boolean;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const INTERVAL_MS = 100;

/**
 * Shows a spinner with `label` on a terminal while `task` runs (creating a deployment can take
 * seconds), then erases it. Silent when the stream is not a terminal or with --json, so pipes,
 * scripts and tests see only the command's output.
 */
export async function withProgress<T>(
  label: string,
  task: () => Promise<T>,
  options: { json?: boolean | undefined; stream?: ProgressStream } = {},
): Promise<T> {
  const stream = options.stream ?? process.stderr;
  if (!stream.isTTY || options.json) return task();
  let frame = 0;
  const draw = () => stream.write(`\r${FRAMES[frame++ % FRAMES.length]} ${label}`);
  draw();
  const timer = setInterval(draw, INTERVAL_MS);
  try {
    return await task();
  } finally {
    clearInterval(timer);
    stream.write(`\r${' '.repeat(label.length + 2)}\r`);
  }
}
