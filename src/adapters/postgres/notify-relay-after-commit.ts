import { type Kysely, sql } from 'kysely';
import type { LatencyTrace } from '../latency-trace';
import type { Database } from './database';

/** Called once for each committed batch that appended rows, with the messageIds it appended. */
export interface BatchCommitHook {
  afterCommit(messageIds: readonly string[]): void;
}

/**
 * Records each batch's commit for the latency budget (LATENCY_TRACE_FILE), then passes it on to
 * `next` (the NOTIFY, when configured).
 */
export function traceCommits(trace: LatencyTrace, next: BatchCommitHook | undefined): BatchCommitHook {
  return {
    afterCommit: (messageIds) => {
      trace.record({ event: 'commit', at: trace.now(), messageIds });
      next?.afterCommit(messageIds);
    },
  };
}

/**
 * Wakes the relay after intake commits: a NOTIFY on the relay's channel, sent after the batch's
 * commit in a transaction of its own. Inside the batch transaction a NOTIFY would take PostgreSQL's
 * global notification-queue lock at every intake commit and serialise them (it cost 7–10 % of
 * intake throughput here even once per batch); outside, intake commits never wait for it. The
 * notifications coalesce: one in flight at a time, and every batch committed meanwhile is covered
 * by one more after it, so the relay is never left asleep with rows committed after its last wake-up.
 */
export function notifyRelayAfterCommit(
  db: Kysely<Database>,
  channel: string,
  minIntervalMs = 2,
  trace?: LatencyTrace,
): BatchCommitHook {
  let inFlight = false;
  let again = false;
  let lastSentAt = 0;
  let sent = 0;
  const send = (): void => {
    inFlight = true;
    again = false;
    lastSentAt = performance.now();
    // Traced, each NOTIFY carries its number, so the relay's trace names the one that woke it.
    const n = ++sent;
    const sentAt = trace?.now();
    sql`select pg_notify(${channel}, ${trace === undefined ? '' : String(n)})`
      .execute(db)
      // A lost wake-up costs latency only: the relay also polls when idle.
      .catch(() => undefined)
      .finally(() => {
        if (trace !== undefined) trace.record({ event: 'notify', n, sentAt, doneAt: trace.now() });
        if (!again) {
          inFlight = false;
          return;
        }
        // Under load, at most one NOTIFY per minIntervalMs: the relay is busy claiming anyway.
        setTimeout(send, Math.max(0, lastSentAt + minIntervalMs - performance.now()));
      });
  };
  return {
    afterCommit: () => {
      if (inFlight) again = true;
      else send();
    },
  };
}
