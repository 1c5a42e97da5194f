/** One request's deadline; `settle()` once it finished so that it never fires. */
export interface Deadline {
  settle(): void;
}

class Entry implements Deadline {
  settled = false;
  constructor(
    readonly at: number,
    readonly expire: () => void,
  ) {}

  settle(): void {
    this.settled = true;
  }
}

/**
 * Deadlines of one fixed duration, kept in arrival order (a FIFO is then also deadline order) under
 * a single timer armed for the oldest one. A `setTimeout`/`clearTimeout` pair per request showed
 * in the bench's profiles (timer list insert/remove, libuv clock reads); here adding is an array
 * push and settling a flag. The timer is unref'd: an in-flight request keeps the process alive
 * through its socket, not through its deadline.
 */
export class DeadlineQueue {
  private entries: Entry[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly durationMs: number) {}

  add(expire: () => void): Deadline {
    const entry = new Entry(performance.now() + this.durationMs, expire);
    this.entries.push(entry);
    if (this.timer === undefined) this.arm(this.durationMs);
    return entry;
  }

  private arm(delayMs: number): void {
    this.timer = setTimeout(() => this.fire(), Math.max(1, Math.ceil(delayMs)));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    const now = performance.now();
    const { entries } = this;
    while (this.head < entries.length) {
      const entry = entries[this.head] as Entry;
      if (!entry.settled && entry.at > now) break;
      this.head++;
      if (!entry.settled) {
        entry.settled = true;
        entry.expire();
      }
    }
    // Drop what was consumed (amortized: only when it is at least half the array).
    if (this.head >= entries.length) {
      this.entries = [];
      this.head = 0;
      return;
    }
    if (this.head * 2 >= entries.length) {
      this.entries = entries.slice(this.head);
      this.head = 0;
    }
    // The head is pending: re-arm for it. Settled entries behind it are dropped when reached.
    this.arm((this.entries[this.head] as Entry).at - now);
  }
}

const queues = new Map<number, DeadlineQueue>();

/** The process-wide queue for deadlines of this duration. */
export function deadlineQueue(durationMs: number): DeadlineQueue {
  let queue = queues.get(durationMs);
  if (queue === undefined) {
    queue = new DeadlineQueue(durationMs);
    queues.set(durationMs, queue);
  }
  return queue;
}
