import type { ServerResponse } from 'node:http';

/**
 * Ends the answers that became ready during one event-loop turn together, at the end of that turn
 * (one `setImmediate`), instead of one by one as each is ready.
 *
 * Under load many answers become ready in the same turn: the requests read in one poll phase, or
 * the onnxruntime runs of one check phase (onnxruntime-node defers every run with setImmediate).
 * Ending each as soon as it is ready sends its bytes while the next run is still ahead, so the
 * client is woken for every answer and its next requests trickle in one at a time. Written back to
 * back, one wake-up serves the whole group and the next requests arrive grouped too. Measured with
 * the serving bench (iris, c=32, batching off, 2 vCPUs): server CPU per request 177 → 115 µs and
 * 0.92× → 1.42× the baseline's req/s in one A/B run. An answer waits at most for the rest of its turn.
 *
 * Headers are written by the caller (`writeHead`), so `headersSent` is already true when an answer
 * is queued here and nothing can answer the same request twice.
 */
export class TurnWriter {
  private responses: ServerResponse[] = [];
  private bodies: Array<string | Uint8Array> = [];
  private scheduled = false;
  private readonly flush = () => {
    this.scheduled = false;
    const { responses, bodies } = this;
    this.responses = [];
    this.bodies = [];
    for (let index = 0; index < responses.length; index++) {
      try {
        (responses[index] as ServerResponse).end(bodies[index]);
      } catch (error) {
        // One broken socket must not keep the rest of the group from being written.
        this.onError(error);
      }
    }
  };

  constructor(private readonly onError: (error: unknown) => void) {}

  /** Answers still waiting for the end of the turn. */
  get pending(): number {
    return this.responses.length;
  }

  end(response: ServerResponse, body: string | Uint8Array): void {
    this.responses.push(response);
    this.bodies.push(body);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }
}
