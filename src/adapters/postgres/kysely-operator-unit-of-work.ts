import { type Kysely, sql, type Transaction } from 'kysely';
import type {
  OperatorAction,
  OperatorActionLog,
  OperatorOutbox,
  OperatorRepositories,
  OperatorUnitOfWork,
  OutboxEntry,
} from '../../application/operations/ports';
import { translateUnavailable } from './connection';
import type { Database } from './database';
import { selectEntries, toEntry, UUID } from './kysely-outbox-read-model';

/**
 * The outbox rows an operator changes, locked for the transaction. What an operator changes is
 * delivery state, which lives in outbox_pending (migration 0005): the lock is on that row, the one
 * a relay's claim holds while it publishes the message. A delivered message has none; it is read
 * as it is, and the commands refuse it.
 */
export class KyselyOperatorOutbox implements OperatorOutbox {
  constructor(private readonly trx: Transaction<Database>) {}

  async lock(messageId: string): Promise<OutboxEntry | undefined> {
    if (!UUID.test(messageId)) return undefined;
    const id = messageId.toLowerCase();
    await sql`
      select p.seq from outbox_pending p
       where p.seq = (select seq from outbox where message_id = ${id}::uuid)
         for update`.execute(this.trx);
    const { rows } = await selectEntries(sql`o.message_id = ${id}::uuid`).execute(this.trx);
    return rows[0] === undefined ? undefined : toEntry(rows[0]);
  }

  async lockAllParked(): Promise<OutboxEntry[]> {
    const { rows: locked } = await sql<{ seq: string }>`
      select seq from outbox_pending where parked order by seq for update`.execute(this.trx);
    if (locked.length === 0) return [];
    const { rows } = await selectEntries(sql`o.seq = any(${locked.map((r) => r.seq)}::bigint[])`).execute(
      this.trx,
    );
    return rows.map(toEntry);
  }

  async replay(messageIds: readonly string[]): Promise<void> {
    if (messageIds.length === 0) return;
    await sql`
      update outbox_pending p
         set parked = false, attempts = 0, last_error = null, next_attempt_at = now()
        from outbox o
       where o.seq = p.seq and o.message_id = any(${[...messageIds]}::uuid[])`.execute(this.trx);
  }

  async park(messageId: string): Promise<void> {
    await sql`
      update outbox_pending p
         set parked = true, last_error = 'parked by an operator (see operator_action)'
        from outbox o
       where o.seq = p.seq and o.message_id = ${messageId}::uuid and not p.parked`.execute(this.trx);
  }
}

export class KyselyOperatorActionLog implements OperatorActionLog {
  constructor(private readonly trx: Transaction<Database>) {}

  /** The action, and its link to every message it touched (migration 0007), in one statement. */
  async record(action: OperatorAction): Promise<void> {
    const touched = [...new Set([action.messageId, ...(action.messageIds ?? [])])].filter(
      (id): id is string => id !== null,
    );
    await sql`
      with recorded as (
        insert into operator_action (action, message_id, request_id, actor, reason, dry_run, details)
        values (${action.action}, ${action.messageId}::uuid, ${action.requestId}, ${action.actor},
                ${action.reason}, ${action.dryRun}, ${JSON.stringify(action.details)}::jsonb)
        returning id)
      insert into operator_action_target (action_id, message_id)
      select recorded.id, m from recorded, unnest(${touched.map((id) => id.toLowerCase())}::uuid[]) m`.execute(
      this.trx,
    );
  }
}

/**
 * One transaction per operator command. A row the relay is publishing right now is locked by it;
 * the operator waits at most `lockTimeoutMs` for it and then gets an error rather than a hang.
 */
export class KyselyOperatorUnitOfWork implements OperatorUnitOfWork {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly lockTimeoutMs = 5000,
  ) {}

  async run<T>(work: (repositories: OperatorRepositories) => Promise<T>): Promise<T> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        await sql`select set_config('lock_timeout', ${`${this.lockTimeoutMs}ms`}, true)`.execute(trx);
        return work({ outbox: new KyselyOperatorOutbox(trx), actions: new KyselyOperatorActionLog(trx) });
      });
    } catch (error) {
      return translateUnavailable(error);
    }
  }
}
