import { type Kysely, sql } from 'kysely';
import type {
  ChainLimits,
  ClaimedBatch,
  DeliveryFailure,
  OutboxRelayStore,
  RelayMessage,
} from '../../application/relay/ports';
import type { Aendringstype, MessageKind } from '../../domain/notification';
import type { Database } from './database';
import { chainStatement, type ClaimedRow, skipScanStatement, WALK_FACTOR, walkStatement } from './sql/claim';
import { type HeldConnection, holdConnection } from './held-connection';
import { deliveredStatement, failedStatement } from './sql/settle';

/**
 * The outbox as the relay sees it: claims (the walk, the skip scan, the chains of sql/claim.ts) and
 * their settles (sql/settle.ts), each claim one transaction holding row locks on its outbox_pending
 * rows until it settles. The store keeps what spans claims: where the next skip scan starts, the
 * rows its open claims hold, whether to skip the walk, and when to vacuum. Why per-entity order
 * holds with any number of relays: docs/relay.md#why-per-entity-order-holds-with-any-number-of-relays.
 */
export class KyselyRelayStore implements OutboxRelayStore {
  /** The entity this store's last skip scan ended on; the next one starts after it. */
  private resumeAfter: string | undefined;
  /**
   * Seqs held by this store's open claims (chains included). The walk starts at the oldest due
   * rows, which are mostly this relay's own batches in flight; excluding them by seq lets it pass
   * them without probing their entity and trying (and skipping) their locks. An optimisation
   * only: SKIP LOCKED would skip them anyway, and they still block their entities.
   */
  private readonly held = new Set<string>();
  /**
   * Whether the last claim found most of its heads with rows behind them (has_more): then the
   * walk would mostly visit rows that are not heads, and claims go straight to the skip scan.
   * Speed only: both find heads by the same rule.
   */
  private deep = false;
  /** Rows this store has delivered since it last started a vacuum of outbox_pending. */
  private deliveredSinceVacuum = 0;
  private vacuuming = false;

  constructor(private readonly db: Kysely<Database>) {}

  async claim(limit: number, chain?: ChainLimits): Promise<ClaimedBatch> {
    const connection = await holdConnection(this.db);
    const trx = connection.db;
    let messages: RelayMessage[];
    let dueRowsLeft: boolean;
    try {
      // Losing a 'delivered' mark in a database crash only means publishing that message again
      // under the same messageId (at-least-once), never losing it; so the claim's commit need not
      // wait for its WAL flush. One round trip for both statements (the simple protocol).
      await connection.script('begin; set local synchronous_commit = off');
      const probeMore = chain !== undefined;
      // First the walk, oldest due row first, over at most WALK_FACTOR × limit rows: when entities
      // have one row each, nearly every row it visits is a head, read in heap order. Then, for
      // what it did not find, the skip scan, which costs one descent per entity whatever the
      // entity's backlog.
      const walked = this.deep ? undefined : await this.walk(trx, limit, probeMore);
      // Whether the walk saw every due row (this store's held rows aside) and locked them all.
      dueRowsLeft = walked === undefined || !walked.sawEveryDueRow || walked.dueRows > walked.rows.length;
      const rows = walked?.rows ?? [];
      // A walk that saw every due row has tested every due head already: the skip scan would find
      // nothing more (a row committed since is found by the next claim, which its NOTIFY wakes).
      if (rows.length < limit && walked?.sawEveryDueRow !== true) {
        const taken = rows.map((r) => r.seq);
        const start = this.resumeAfter;
        const scanned = await this.skipScan(trx, limit - rows.length, probeMore, taken, { after: start });
        // Round to where the scan began when the entities after it did not fill the claim.
        if (rows.length + scanned.length < limit && start !== undefined)
          scanned.push(
            ...(await this.skipScan(trx, limit - rows.length - scanned.length, probeMore, taken, {
              upTo: start,
            })),
          );
        this.resumeAfter = scanned.at(-1)?.ekstern_identifier ?? start;
        rows.push(...scanned);
      }
      if (probeMore && rows.length > 0) this.deep = rows.filter((r) => r.has_more).length * 2 > rows.length;
      rows.sort(bySeq);
      messages = rows.map(toRelayMessage);
      // Only entities with a row behind their head are worth the chain query (none, when every
      // entity has one message waiting: the uniform drain pays no extra round trip).
      const withMore = new Set(rows.filter((r) => r.has_more).map((r) => r.seq));
      const perEntity =
        chain === undefined || messages.length === 0
          ? 1
          : Math.min(chain.perEntity, Math.max(1, Math.floor(chain.rows / messages.length)));
      if (perEntity > 1 && withMore.size > 0)
        messages = await this.extendChains(trx, messages, withMore, perEntity - 1);
    } catch (error) {
      await connection.script('rollback').catch(() => undefined);
      connection.release();
      throw error;
    }
    if (messages.length === 0) {
      try {
        await connection.script('commit');
      } finally {
        connection.release();
      }
      return EMPTY_BATCH;
    }
    for (const m of messages) this.held.add(m.seq);
    return new PostgresClaim(
      connection,
      messages,
      dueRowsLeft,
      () => {
        for (const m of messages) this.held.delete(m.seq);
      },
      (count) => this.delivered(count),
    );
  }

  /**
   * Every delivered row leaves a dead tuple in outbox_pending and dead entries at the front of its
   * two indexes, exactly where every claim starts reading; until a vacuum removes them, each claim
   * steps over them (bench/drained-claim-probe.ts measures it; figures in docs/measurements/). Autovacuum
   * comes only when its launcher wakes (autovacuum_naptime, a minute by default), so after every
   * VACUUM_AFTER_DELIVERIES rows the store vacuums the narrow table itself, in the background: no
   * lock that blocks a claim, an insert or a settle, and skipped while another relay's vacuum runs.
   * A failure (a role that does not own the table, say) changes nothing but speed: autovacuum
   * remains.
   */
  private delivered(count: number): void {
    this.deliveredSinceVacuum += count;
    if (this.deliveredSinceVacuum < VACUUM_AFTER_DELIVERIES || this.vacuuming) return;
    this.deliveredSinceVacuum = 0;
    this.vacuuming = true;
    void sql`vacuum (skip_locked) outbox_pending`
      .execute(this.db)
      .catch(() => undefined)
      .finally(() => {
        this.vacuuming = false;
      });
  }

  /**
   * The walk (sql/claim.ts): the rows it locked, how many due rows it saw and whether that was every
   * due row, this store's held rows aside.
   */
  private async walk(
    trx: Kysely<Database>,
    limit: number,
    probeMore: boolean,
  ): Promise<{ rows: ClaimedRow[]; dueRows: number; sawEveryDueRow: boolean }> {
    const result = await walkStatement({ limit, probeMore, held: [...this.held] }).execute(trx);
    const rows = result.rows.filter((r): r is ClaimedRow & { due_rows: number } => r.seq !== null);
    const dueRows = result.rows[0]?.due_rows ?? 0;
    return { rows, dueRows, sawEveryDueRow: dueRows < WALK_FACTOR * limit };
  }

  /** The skip scan (sql/claim.ts) over the entities after `after` or up to `upTo`. */
  private async skipScan(
    trx: Kysely<Database>,
    limit: number,
    probeMore: boolean,
    taken: readonly string[],
    range: { after?: string | undefined; upTo?: string | undefined },
  ): Promise<ClaimedRow[]> {
    const result = await skipScanStatement({ limit, probeMore, taken, ...range }).execute(trx);
    return result.rows;
  }

  /**
   * Locks and reads, for each claimed head, up to `more` of its entity's next undelivered rows,
   * and keeps the run of them that is pending, due and was not held by another claim: the first
   * row that is parked, backed off or locked ends its entity's chain (the rows after it stay for
   * a later claim, in order). The claimed head already blocks every later row of its entity in
   * every other claim, so these rows are this claim's to take; the lock only keeps operators'
   * commands off them until the claim ends.
   */
  private async extendChains(
    trx: Kysely<Database>,
    heads: readonly RelayMessage[],
    withMore: ReadonlySet<string>,
    more: number,
  ): Promise<RelayMessage[]> {
    const extend = heads.filter((m) => withMore.has(m.seq));
    const result = await chainStatement({ heads: extend, more }).execute(trx);
    const chains = new Map<string, RelayMessage[]>();
    for (const row of result.rows) {
      let chain = chains.get(row.head);
      if (chain === undefined) chains.set(row.head, (chain = []));
      // A gap in the positions is a row that is not pending, not due or locked: the chain ends.
      if (Number(row.position) === chain.length + 1) chain.push(toRelayMessage(row));
    }
    return heads.flatMap((head) => [head, ...(chains.get(head.seq) ?? [])]);
  }
}

/** Deliveries after which a store vacuums outbox_pending (see KyselyRelayStore.delivered). */
const VACUUM_AFTER_DELIVERIES = 10_000;

const EMPTY_BATCH: ClaimedBatch = {
  messages: [],
  dueRowsLeft: false,
  settle: () => Promise.resolve(),
  release: () => Promise.resolve(),
};

class PostgresClaim implements ClaimedBatch {
  private open = true;

  constructor(
    private readonly connection: HeldConnection,
    readonly messages: readonly RelayMessage[],
    readonly dueRowsLeft: boolean,
    private readonly ended: () => void,
    private readonly onDelivered: (count: number) => void,
  ) {}

  async settle(delivered: readonly string[], failed: readonly DeliveryFailure[]): Promise<void> {
    this.end();
    try {
      if (failed.length > 0) await failedStatement(failed).execute(this.connection.db);
      // The deliveries and the commit in one round trip: the statement carries its seqs inline.
      await this.connection.script(
        delivered.length > 0
          ? `${deliveredStatement(delivered).compile(this.connection.db).sql};\ncommit`
          : 'commit',
      );
      if (delivered.length > 0) this.onDelivered(delivered.length);
    } catch (error) {
      await this.connection.script('rollback').catch(() => undefined);
      throw error;
    } finally {
      this.connection.release();
      this.ended();
    }
  }

  async release(): Promise<void> {
    this.end();
    try {
      await this.connection.script('rollback');
    } finally {
      this.connection.release();
      this.ended();
    }
  }

  private end(): void {
    if (!this.open) throw new Error('this claim has already ended');
    this.open = false;
  }
}

/** Seq order: seqs are positive bigints as text, so a shorter one is smaller. */
function bySeq(x: ClaimedRow, y: ClaimedRow): number {
  return x.seq.length - y.seq.length || (x.seq < y.seq ? -1 : x.seq > y.seq ? 1 : 0);
}

function toRelayMessage(row: ClaimedRow): RelayMessage {
  if (row.body === null) {
    // Redaction only touches delivered rows; a pending row without payload is a bug to surface.
    throw new Error(`outbox row ${row.seq} is pending but has no payload`);
  }
  return {
    seq: row.seq,
    messageId: row.message_id,
    requestId: row.request_id,
    kind: row.message_type as MessageKind,
    eksternIdentifier: row.ekstern_identifier,
    jobCenterKode: row.jobcenter_kode,
    aendringstype: row.aendringstype as Aendringstype,
    receivedAt: new Date(row.received_ms),
    exchange: row.exchange,
    routingKey: row.routing_key,
    body: Buffer.from(row.body, 'utf8'),
    attempts: row.attempts,
    traceparent: row.traceparent ?? undefined,
    tracestate: row.tracestate ?? undefined,
  };
}
