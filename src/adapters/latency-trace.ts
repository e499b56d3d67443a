import { createWriteStream, type WriteStream } from 'node:fs';

/**
 * LATENCY_TRACE_FILE: where a message's time goes, for the latency budget (bench/relay/budget.ts).
 * Each process appends JSON lines of timestamps taken in the code to a file of its own: the intake
 * at each batch commit and NOTIFY, the relay at each notification received and each batch's claim,
 * publish, confirm and settle. Lines name messages by messageId only, never a payload. Off (the
 * default) nothing is recorded and no timestamp is taken.
 */
export class LatencyTrace {
  private readonly stream: WriteStream;

  constructor(path: string) {
    this.stream = createWriteStream(path, { flags: 'a' });
  }

  /** Milliseconds since the epoch with sub-millisecond precision, comparable across processes. */
  now(): number {
    return performance.timeOrigin + performance.now();
  }

  record(event: Readonly<Record<string, unknown>>): void {
    this.stream.write(`${JSON.stringify(event)}\n`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(resolve));
  }
}
