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
import { ENTRY_COLUMNS, toEntry, UUID } from './kysely-outbox-read-model';

/** The outbox rows an operator changes, locked for the transaction. */
export class KyselyOperatorOutbox implements OperatorOutbox {
  constructor(private readonly trx: Transaction<Database>) {}

  async lock(messageId: string): Promise<OutboxEntry | undefined> {
    if (!UUID.test(messageId)) return undefined;
    const row = await this.trx
      .selectFrom('outbox')
      .select(ENTRY_COLUMNS)
      .where('message_id', '=', messageId.toLowerCase())
      .forUpdate()
      .executeTakeFirst();
    return row === undefined ? undefined : toEntry(row);
  }

  async lockAllParked(): Promise<OutboxEntry[]> {
    const rows = await this.trx
      .selectFrom('outbox')
      .select(ENTRY_COLUMNS)
      .where('status', '=', 'parked')
      .orderBy('seq')
      .forUpdate()
      .execute();
    return rows.map(toEntry);
  }

  async replay(messageIds: readonly string[]): Promise<void> {
    if (messageIds.length === 0) return;
    await this.trx
      .updateTable('outbox')
      .set({ status: 'pending', attempts: 0, last_error: null, next_attempt_at: sql<Date>`now()` })
      .where('message_id', 'in', [...messageIds])
      .where('status', '<>', 'delivered')
      .execute();
  }

  async park(messageId: string): Promise<void> {
    await this.trx
      .updateTable('outbox')
      .set({ status: 'parked', last_error: 'parked by an operator (see operator_action)' })
      .where('message_id', '=', messageId)
      .where('status', '=', 'pending')
      .execute();
  }
}

export class KyselyOperatorActionLog implements OperatorActionLog {
  constructor(private readonly trx: Transaction<Database>) {}

  async record(action: OperatorAction): Promise<void> {
    await this.trx
      .insertInto('operator_action')
      .values({
        action: action.action,
        message_id: action.messageId,
        request_id: action.requestId,
        actor: action.actor,
        reason: action.reason,
        dry_run: action.dryRun,
        details: JSON.stringify(action.details),
      })
      .execute();
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
