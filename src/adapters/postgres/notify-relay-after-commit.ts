import { type Kysely, sql } from 'kysely';
import type { Database } from './database';

/** Called once for each committed batch that appended rows. */
export interface BatchCommitHook {
  afterCommit(): void;
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
): BatchCommitHook {
  let inFlight = false;
  let again = false;
  let lastSentAt = 0;
  const send = (): void => {
    inFlight = true;
    again = false;
    lastSentAt = performance.now();
    sql`select pg_notify(${channel}, '')`
      .execute(db)
      // A lost wake-up costs latency only: the relay also polls when idle.
      .catch(() => undefined)
      .finally(() => {
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
