import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type {
  ChainLimits,
  ClaimedBatch,
  DeliveryFailure,
  OutboxRelayStore,
} from '../../src/application/relay/ports';

export interface RelayRowState {
  readonly status: 'pending' | 'delivered' | 'parked';
  readonly attempts: number;
  readonly lastError: string | undefined;
  /** When the row may be claimed again; PostgreSQL keeps none once it is delivered (null). */
  readonly nextAttemptAt: Date | null;
}

/** One implementation of the OutboxRelayStore port, fresh and empty. */
export interface RelayStoreSubject {
  /** The store one relay uses. */
  readonly store: OutboxRelayStore;
  /** The store a second relay on the same outbox uses (the same object where there is no such thing). */
  readonly otherRelay: OutboxRelayStore;
  /** Appends a due pending row for `entity` (a uuid), as intake would; resolves with its seq. */
  add(entity: string): Promise<string>;
  /** What an operator's park does. */
  park(seq: string): Promise<void>;
  state(seq: string): Promise<RelayRowState>;
  /** How many rows are pending (undelivered, not parked). */
  pending(): Promise<number>;
}

const HOUR = 3_600_000;

function failure(seq: string, overrides: Partial<DeliveryFailure> = {}): DeliveryFailure {
  return {
    seq,
    reason: 'nack',
    detail: 'the broker nacked the message',
    nextAttemptAt: new Date(Date.now() + HOUR),
    countsAsAttempt: true,
    ...overrides,
  };
}

const seqs = (batch: ClaimedBatch): string[] => batch.messages.map((m) => m.seq);

/**
 * The contract every OutboxRelayStore honours, so that the in-memory fake the unit tests use cannot
 * drift from PostgreSQL: per-entity eligibility, exclusive claims, settle and release. Call inside
 * a mocha `describe`.
 */
export function describeRelayStoreContract(
  name: string,
  createSubject: () => Promise<RelayStoreSubject>,
): void {
  describe(`${name}: the relay store contract`, () => {
    let subject: RelayStoreSubject;
    const open: ClaimedBatch[] = [];
    const claim = async (
      limit: number,
      store = subject.store,
      chain?: ChainLimits,
    ): Promise<ClaimedBatch> => {
      const batch = await store.claim(limit, chain);
      open.push(batch);
      return batch;
    };
    const end = (batch: ClaimedBatch) => open.splice(open.indexOf(batch), 1);
    const settle = async (batch: ClaimedBatch, delivered: string[], failed: DeliveryFailure[] = []) => {
      end(batch);
      await batch.settle(delivered, failed);
    };
    const release = async (batch: ClaimedBatch) => {
      end(batch);
      await batch.release();
    };

    beforeEach(async () => {
      subject = await createSubject();
    });

    afterEach(async () => {
      for (const batch of open.splice(0)) {
        try {
          await batch.release();
        } catch {
          // already ended by a failed assertion's path
        }
      }
    });

    it('claims nothing from an empty outbox', async () => {
      const batch = await claim(10);
      expect(batch.messages).to.deep.equal([]);
      await release(batch);
    });

    it('claims only the oldest undelivered row of each entity, listed oldest first, up to the limit', async () => {
      const [a, b] = [randomUUID(), randomUUID()];
      const a1 = await subject.add(a);
      const b1 = await subject.add(b);
      await subject.add(a);
      await subject.add(b);
      const c = await subject.add(randomUUID());

      const batch = await claim(10);
      expect(seqs(batch)).to.deep.equal([a1, b1, c]);
      expect(batch.messages.slice(0, 2).map((m) => m.eksternIdentifier)).to.deep.equal([a, b]);
      expect(batch.messages.every((m) => m.attempts === 0)).to.equal(true);
      await release(batch);

      // Which eligible entities a claim of too few takes is the store's choice (PostgreSQL scans
      // entities round from where its last claim ended); each is an entity's oldest row, and the
      // entity left out is the next claim's.
      const limited = await claim(2);
      expect(seqs(limited)).to.have.length(2);
      expect([a1, b1, c]).to.include.members(seqs(limited));
      const rest = await claim(2);
      expect(seqs(rest)).to.deep.equal([a1, b1, c].filter((s) => !seqs(limited).includes(s)));
      await release(rest);
      await release(limited);
    });

    it('says whether due rows were left waiting: none when it took every due row, some when any waits behind or beyond it', async () => {
      const [a, b] = [randomUUID(), randomUUID()];
      await subject.add(a);
      await subject.add(b);
      const all = await claim(10);
      expect(all.messages).to.have.length(2);
      expect(all.dueRowsLeft, 'every due row is in the claim').to.equal(false);
      await settle(all, seqs(all));

      await subject.add(a);
      await subject.add(a);
      const behind = await claim(10);
      expect(behind.messages).to.have.length(1);
      expect(behind.dueRowsLeft, "a's second row waits behind the claim").to.equal(true);
      await release(behind);

      await subject.add(b);
      const limited = await claim(1);
      expect(limited.dueRowsLeft, 'a row of another entity waits beyond the limit').to.equal(true);
      await release(limited);
    });

    it('fills a claim past entities with long backlogs, taking each entity once, by its oldest row', async () => {
      // PostgreSQL's walk visits only the first 2 × limit due rows (here a's five and b's one), so
      // c and d are found by its skip scan in the same claim; neither may take a or b again.
      const [a, b, c, d] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
      const a1 = await subject.add(a);
      for (let i = 0; i < 4; i++) await subject.add(a);
      const b1 = await subject.add(b);
      const c1 = await subject.add(c);
      const d1 = await subject.add(d);
      const batch = await claim(3);
      const got = seqs(batch);
      expect(got).to.have.length(3);
      expect(got.slice(0, 2)).to.deep.equal([a1, b1]);
      expect([c1, d1]).to.include(got[2]);
      expect(new Set(batch.messages.map((m) => m.eksternIdentifier)).size).to.equal(3);
      const rest = await claim(3);
      expect(seqs(rest)).to.deep.equal([c1, d1].filter((s) => s !== got[2]));
      await release(rest);
      await release(batch);
    });

    it('never hands a claimed row to another claim, and a claimed row blocks its entity’s later rows', async () => {
      const entity = randomUUID();
      const first = await subject.add(entity);
      await subject.add(entity);

      const held = await claim(1);
      expect(seqs(held)).to.deep.equal([first]);
      const other = await subject.add(randomUUID());
      for (const store of [subject.store, subject.otherRelay]) {
        const next = await claim(10, store);
        expect(seqs(next), 'the same or a second relay').to.deep.equal([other]);
        await release(next);
      }
      await release(held);
    });

    it('settling delivered makes the entity’s next row eligible; the delivered row is never claimed again', async () => {
      const entity = randomUUID();
      const first = await subject.add(entity);
      const second = await subject.add(entity);

      const batch = await claim(10);
      expect(seqs(batch)).to.deep.equal([first]);
      await settle(batch, [first]);
      expect((await subject.state(first)).status).to.equal('delivered');

      const next = await claim(10, subject.otherRelay);
      expect(seqs(next)).to.deep.equal([second]);
      await settle(next, [second]);
      const none = await claim(10);
      expect(seqs(none)).to.deep.equal([]);
      await release(none);
      expect(await subject.pending()).to.equal(0);
    });

    it('a broker refusal uses up an attempt, records the reason and backs off; the row keeps blocking its entity', async () => {
      const entity = randomUUID();
      const first = await subject.add(entity);
      await subject.add(entity);
      const unrelated = await subject.add(randomUUID());

      const batch = await claim(10);
      const due = new Date(Date.now() + HOUR);
      await settle(
        batch,
        [unrelated],
        [failure(first, { reason: 'unroutable', detail: 'no queue is bound', nextAttemptAt: due })],
      );
      const state = await subject.state(first);
      expect(state).to.include({
        status: 'pending',
        attempts: 1,
        lastError: 'unroutable: no queue is bound',
      });
      expect(state.nextAttemptAt).to.be.instanceOf(Date);
      expect(Math.abs(state.nextAttemptAt!.getTime() - due.getTime())).to.be.below(1000);

      const next = await claim(10);
      expect(seqs(next), 'backed off, and blocking').to.deep.equal([]);
      await release(next);
      expect(await subject.pending()).to.equal(2);
    });

    it('a broker outage leaves attempts alone; a failed row is claimed again once due, with its attempts', async () => {
      const seq = await subject.add(randomUUID());
      let batch = await claim(10);
      await settle(batch, [], [failure(seq, { nextAttemptAt: new Date(Date.now() - 1000) })]);
      batch = await claim(10);
      expect(batch.messages.map((m) => [m.seq, m.attempts])).to.deep.equal([[seq, 1]]);
      await settle(
        batch,
        [],
        [
          failure(seq, {
            reason: 'connection',
            detail: 'not connected to the broker',
            countsAsAttempt: false,
            nextAttemptAt: new Date(Date.now() - 1000),
          }),
        ],
      );
      expect(await subject.state(seq)).to.include({
        status: 'pending',
        attempts: 1,
        lastError: 'connection: not connected to the broker',
      });
      batch = await claim(10);
      expect(seqs(batch)).to.deep.equal([seq]);
      await release(batch);
    });

    it('release ends the claim without recording anything', async () => {
      const entity = randomUUID();
      const first = await subject.add(entity);
      await subject.add(entity);
      const before = await subject.state(first);
      const batch = await claim(10);
      await release(batch);
      expect(await subject.state(first)).to.deep.equal(before);
      const again = await claim(10, subject.otherRelay);
      expect(seqs(again)).to.deep.equal([first]);
      await release(again);
    });

    it('a parked row is never claimed and blocks its entity (only it)', async () => {
      const entity = randomUUID();
      const parked = await subject.add(entity);
      await subject.add(entity);
      const other = await subject.add(randomUUID());
      await subject.park(parked);
      const batch = await claim(10);
      expect(seqs(batch)).to.deep.equal([other]);
      await release(batch);
    });

    it('a chain claim holds each entity’s next undelivered rows, in seq order, behind its oldest', async () => {
      const [a, b] = [randomUUID(), randomUUID()];
      const a1 = await subject.add(a);
      const b1 = await subject.add(b);
      const a2 = await subject.add(a);
      const a3 = await subject.add(a);
      const b2 = await subject.add(b);
      const a4 = await subject.add(a);
      const a5 = await subject.add(a);
      const c1 = await subject.add(randomUUID());

      const batch = await claim(10, subject.store, { perEntity: 3, rows: 100 });
      expect(seqs(batch)).to.deep.equal([a1, a2, a3, b1, b2, c1]);
      for (const store of [subject.store, subject.otherRelay]) {
        const next = await claim(10, store, { perEntity: 3, rows: 100 });
        expect(seqs(next), 'the rest of a is blocked by the claimed chain').to.deep.equal([]);
        await release(next);
      }
      // The relay stopped a's chain after a2 (say a3 was nacked, or never published): a3 leads next.
      await settle(
        batch,
        [a1, a2, b1, b2, c1],
        [failure(a3, { nextAttemptAt: new Date(Date.now() - 1000) })],
      );
      const next = await claim(10, subject.otherRelay, { perEntity: 3, rows: 100 });
      expect(seqs(next)).to.deep.equal([a3, a4, a5]);
      expect(next.messages[0]?.attempts).to.equal(1);
      await release(next);
    });

    it('a chain ends before a parked row, and unpublished rows of a settled chain stay pending in order', async () => {
      const a = randomUUID();
      const a1 = await subject.add(a);
      const a2 = await subject.add(a);
      const a3 = await subject.add(a);
      const a4 = await subject.add(a);
      await subject.park(a3);
      const batch = await claim(10, subject.store, { perEntity: 10, rows: 100 });
      expect(seqs(batch)).to.deep.equal([a1, a2]);
      await settle(batch, [a1]);
      const before = await subject.state(a2);
      expect(before).to.include({ status: 'pending', attempts: 0 });
      const next = await claim(10, subject.otherRelay, { perEntity: 10, rows: 100 });
      expect(seqs(next)).to.deep.equal([a2]);
      await settle(next, [a2]);
      const blocked = await claim(10, subject.store, { perEntity: 10, rows: 100 });
      expect(seqs(blocked), 'the parked row blocks a4').to.deep.equal([]);
      await release(blocked);
      expect((await subject.state(a4)).status).to.equal('pending');
    });

    it('a chain claim shares its rows between its entities, each keeping at least its oldest row', async () => {
      const entities = [randomUUID(), randomUUID(), randomUUID()];
      const rows: string[][] = [[], [], []];
      for (let i = 0; i < 4; i++)
        for (const [k, e] of entities.entries()) rows[k]?.push(await subject.add(e));
      const batch = await claim(10, subject.store, { perEntity: 4, rows: 6 });
      expect(seqs(batch)).to.deep.equal(rows.flatMap((r) => r.slice(0, 2)));
      await release(batch);
      const tight = await claim(10, subject.store, { perEntity: 4, rows: 2 });
      expect(seqs(tight)).to.deep.equal(rows.map((r) => r[0]));
      await release(tight);
    });

    it('a claim ends once: a second settle or release is refused', async () => {
      const seq = await subject.add(randomUUID());
      const batch = await claim(10);
      await settle(batch, [seq]);
      let refused = false;
      try {
        await batch.release();
      } catch {
        refused = true;
      }
      expect(refused).to.equal(true);
    });
  });
}
