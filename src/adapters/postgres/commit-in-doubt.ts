import { setTimeout as sleep } from 'node:timers/promises';
import { type Kysely, sql } from 'kysely';
import type { Database } from './database';
import type { BackendTransaction } from './kysely-outbox-repository';

export type CommitOutcome = 'stored' | 'absent' | 'unknown';

export interface InDoubtSettings {
  /** How long to keep trying to find out, from the moment the commit failed. */
  readonly timeoutMs: number;
  /** How long the old backend may go on with the transaction before it is terminated. */
  readonly graceMs: number;
}

/**
 * Finds out whether a transaction whose COMMIT was sent, but whose answer was lost with the
 * connection, is stored: on a fresh connection, and until `timeoutMs` has passed.
 *
 * The old backend may still be working on that transaction — reading the COMMIT from its socket,
 * writing the commit record, waiting for a synchronous standby — and make the rows visible just
 * after a look that found none. So the rows are looked for only once no backend runs the
 * transaction any more: `pg_stat_activity.backend_xid` is cleared in the same step that makes a
 * commit visible (or once the transaction has aborted). A backend that still holds it after
 * `graceMs` (one that never got the COMMIT and has not yet noticed its client is gone) is
 * terminated, which ends the transaction one way or the other.
 *
 * A look at the rows then answers for all of them at once: they were written in one transaction,
 * so they are all stored or none is. The message ids are the batch's own (fresh uuids), so a row
 * found is this transaction's, never an earlier request's with the same request id.
 *
 * Where the backend cannot be identified (no row was inserted, a connection pooler in between,
 * a failover to another server) the rows are looked for at once; a commit still under way can
 * then make them appear just after the look. The answer is 503 and the client's retry gets 412,
 * "already accepted": late, but nothing is lost or published twice.
 */
export async function resolveCommitInDoubt(
  db: Kysely<Database>,
  messageIds: readonly string[],
  backend: BackendTransaction | undefined,
  settings: InDoubtSettings,
): Promise<CommitOutcome> {
  if (messageIds.length === 0) return 'absent';
  const started = performance.now();
  let pause = 20;
  while (performance.now() - started < settings.timeoutMs) {
    try {
      if (backend !== undefined && (await stillRunning(db, backend))) {
        if (performance.now() - started >= settings.graceMs) await terminate(db, backend);
        await sleep(10);
        continue;
      }
      const { rows } = await sql<{ found: number }>`
        select count(*)::int as found from outbox where message_id = any(${[...messageIds]}::uuid[])`.execute(
        db,
      );
      return (rows[0]?.found ?? 0) > 0 ? 'stored' : 'absent';
    } catch {
      // Still unreachable: try again until the time is up.
      await sleep(pause);
      pause = Math.min(pause * 2, 500);
    }
  }
  return 'unknown';
}

async function stillRunning(db: Kysely<Database>, backend: BackendTransaction): Promise<boolean> {
  const { rows } = await sql<{ running: boolean }>`
    select exists (
      select 1 from pg_stat_activity where pid = ${backend.pid} and backend_xid::text = ${backend.xid}
    ) as running`.execute(db);
  return rows[0]?.running === true;
}

async function terminate(db: Kysely<Database>, backend: BackendTransaction): Promise<void> {
  // Only while it still runs that transaction: the pid may since have gone to another session.
  await sql`
    select pg_terminate_backend(pid) from pg_stat_activity
    where pid = ${backend.pid} and backend_xid::text = ${backend.xid}`.execute(db);
}
