/** One request's deadline; `settle()` once it finished so that it never fires. */
export interface Deadline {
  settle(): void;
}

class Entry implements Deadline {
  settled = false;
  constructor(
    readonly at: number,
    public expire: (() => void) | undefined,
  ) {}

  settle(): void {
    this.settled = true;
    // The callback holds the request (its promise, and through it the answer): let it go now, not
    // when the deadline would have passed.
    this.expire = undefined;
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

  /** Entries still held (pending ones, and settled ones behind an older pending one). */
  get size(): number {
    return this.entries.length - this.head;
  }

  add(expire: () => void): Deadline {
    this.dropSettledHead();
    const entry = new Entry(performance.now() + this.durationMs, expire);
    this.entries.push(entry);
    if (this.timer === undefined) this.arm(this.durationMs);
    return entry;
  }

  /**
   * Requests mostly finish long before their deadline, and in arrival order: settled entries at the
   * front are dropped as new ones arrive, so the queue holds about what is in flight — not every
   * request of the last timeout period (at 60 s and thousands of requests a second, that was
   * hundreds of MB kept alive and major GCs under steady load).
   */
  private dropSettledHead(): void {
    const { entries } = this;
    while (this.head < entries.length && (entries[this.head] as Entry).settled) this.head++;
    if (this.head === entries.length) {
      entries.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= entries.length) {
      this.entries = entries.slice(this.head);
      this.head = 0;
    }
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
        const expire = entry.expire;
        entry.settle();
        expire?.();
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
