import { expect } from 'chai';
import type { RedactionObserver, RedactionReason } from '../../src/application/operations/ports';
import type { RedactPayloadsSettings } from '../../src/application/operations/redact-payloads';
import { RedactPayloads } from '../../src/application/operations/redact-payloads';
import { ENTITY_W, ENTITY_X, ENTITY_Y, ENTITY_Z } from './operations-contract';

const DAY = 86_400_000;
export const CPR_A = '0101010001';
export const CPR_B = '0101010002';
export const CPR_UNRELATED = '0101010009';

/** One outbox the redaction sweep runs over: the in-memory fake or PostgreSQL. */
export interface RedactionSubject {
  /** The instant the sweep's clock reads. */
  now(): Date;
  ordning(entity: string, cpr: string): Promise<string>;
  gdpr(entity: string, slettede: string[], cprNumre: string[]): Promise<string>;
  deliver(messageId: string, at?: Date): Promise<void>;
  park(messageId: string): Promise<void>;
  redacted(messageId: string): Promise<boolean>;
  erasuresWaiting(): Promise<number>;
  sweep(settings: RedactPayloadsSettings, observer: RedactionObserver): RedactPayloads;
}

class RecordingObserver implements RedactionObserver {
  readonly batches: Array<[RedactionReason, number]> = [];
  redacted(reason: RedactionReason, count: number): void {
    this.batches.push([reason, count]);
  }
  total(reason: RedactionReason): number {
    return this.batches.filter(([r]) => r === reason).reduce((n, [, c]) => n + c, 0);
  }
}

/**
 * The retention and GDPR erasure rules, written once and run against the fake and PostgreSQL, so
 * the fake's reading of the rules cannot drift from the SQL's.
 */
export function describeRedactionContract(name: string, setup: () => Promise<RedactionSubject>): void {
  describe(`${name}: the redaction contract`, () => {
    let subject: RedactionSubject;
    let observer: RecordingObserver;

    beforeEach(async () => {
      subject = await setup();
      observer = new RecordingObserver();
    });

    const sweep = (settings: Partial<RedactPayloadsSettings> = {}) =>
      subject.sweep({ retentionDays: 30, batchSize: 500, ...settings }, observer);
    const deliveredDaysAgo = (id: string, days: number) =>
      subject.deliver(id, new Date(subject.now().getTime() - days * DAY));

    describe('retention', () => {
      it('honours the configured retention period', async () => {
        const id = await subject.ordning(ENTITY_X, CPR_A);
        await deliveredDaysAgo(id, 8);
        expect(await sweep({ retentionDays: 10 }).execute({ dryRun: false })).to.include({ retention: 0 });
        expect(await sweep({ retentionDays: 7 }).execute({ dryRun: false })).to.include({ retention: 1 });
      });

      it('works in batches of batchSize until a short batch', async () => {
        for (let i = 0; i < 5; i++) await deliveredDaysAgo(await subject.ordning(ENTITY_X, CPR_A), 40 + i);
        expect(await sweep({ batchSize: 2 }).execute({ dryRun: false })).to.include({ retention: 5 });
        expect(observer.batches).to.deep.equal([
          ['retention', 2],
          ['retention', 2],
          ['retention', 1],
        ]);
        expect(await sweep({ batchSize: 2 }).execute({ dryRun: false })).to.include({ retention: 0 });
      });

      it('leaves a delivered GDPR notification to the erasure rule, however old', async () => {
        const blocker = await subject.ordning(ENTITY_Z, CPR_B);
        const erasure = await subject.gdpr(ENTITY_X, [ENTITY_Z], [CPR_B]);
        await deliveredDaysAgo(erasure, 365);
        expect(await sweep().execute({ dryRun: false })).to.deep.include({
          retention: 0,
          gdpr: 0,
          erasuresWaiting: 1,
        });
        expect(await subject.redacted(erasure)).to.equal(false);
        expect(await subject.redacted(blocker)).to.equal(false);
      });
    });

    describe('GDPR erasure', () => {
      it('redacts nothing before the notification is delivered, then what it names, waits for pending rows and finally its own payload', async () => {
        const ordning = (entity: string, cpr: string) => subject.ordning(entity, cpr);
        const gdpr = (entity: string, slettede: string[], cpr: string[]) =>
          subject.gdpr(entity, slettede, cpr);
        const redacted = (id: string) => subject.redacted(id);
        const sameEntity = await ordning(ENTITY_X, CPR_UNRELATED);
        const sameCpr = await ordning(ENTITY_Y, CPR_A);
        const listedEntity = await ordning(ENTITY_Z, CPR_UNRELATED);
        const unrelated = await ordning(ENTITY_W, CPR_UNRELATED);
        const listedEntityPending = await ordning(ENTITY_Z, CPR_UNRELATED);
        const sameCprPending = await ordning(ENTITY_W, CPR_B);
        for (const id of [sameEntity, sameCpr, listedEntity, unrelated]) await deliveredDaysAgo(id, 1);
        // Upper case in the notification; the outbox keeps entities lower-cased.
        const erasure = await gdpr(ENTITY_X, [ENTITY_Z.toUpperCase()], [CPR_A, CPR_B]);
        const later = await ordning(ENTITY_X, CPR_A);
        await deliveredDaysAgo(later, 1);

        expect(await sweep().execute({ dryRun: false })).to.deep.equal({
          dryRun: false,
          retention: 0,
          gdpr: 0,
          erasuresWaiting: 0,
        });
        for (const id of [sameEntity, sameCpr, listedEntity, erasure])
          expect(await redacted(id)).to.equal(false);

        await subject.deliver(erasure);
        expect(await sweep().execute({ dryRun: true })).to.include({ gdpr: 3, erasuresWaiting: 1 });
        expect(await redacted(sameEntity), 'a dry run redacts nothing').to.equal(false);
        expect(await sweep().execute({ dryRun: false })).to.include({ gdpr: 3, erasuresWaiting: 1 });
        for (const id of [sameEntity, sameCpr, listedEntity]) expect(await redacted(id), id).to.equal(true);
        for (const id of [unrelated, later, listedEntityPending, sameCprPending, erasure]) {
          expect(await redacted(id), id).to.equal(false);
        }
        expect(await subject.erasuresWaiting()).to.equal(1);

        expect(await sweep().execute({ dryRun: false }), 'nothing new delivered').to.include({
          gdpr: 0,
          erasuresWaiting: 1,
        });

        await subject.deliver(listedEntityPending);
        expect(await sweep().execute({ dryRun: false })).to.include({ gdpr: 1, erasuresWaiting: 1 });
        expect(await redacted(listedEntityPending)).to.equal(true);

        await subject.park(sameCprPending);
        expect(await sweep().execute({ dryRun: false }), 'a parked row holds it back too').to.include({
          gdpr: 0,
          erasuresWaiting: 1,
        });

        await subject.deliver(sameCprPending);
        expect(await sweep().execute({ dryRun: true })).to.include({ gdpr: 2, erasuresWaiting: 0 });
        expect(await sweep().execute({ dryRun: false })).to.include({ gdpr: 2, erasuresWaiting: 0 });
        expect(await redacted(sameCprPending)).to.equal(true);
        expect(await redacted(erasure), 'its own CPR numbers, once its work is done').to.equal(true);
        expect(await redacted(unrelated)).to.equal(false);
        expect(await redacted(later), 'received after the notification').to.equal(false);
        expect(observer.total('gdpr')).to.equal(6);
        expect(await subject.erasuresWaiting()).to.equal(0);
      });

      it('redacts a notification that names nothing earlier at once, once delivered', async () => {
        const erasure = await subject.gdpr(ENTITY_X, [], [CPR_A]);
        expect(await sweep().execute({ dryRun: false })).to.include({ gdpr: 0 });
        await subject.deliver(erasure);
        expect(await sweep().execute({ dryRun: false })).to.include({ gdpr: 1, erasuresWaiting: 0 });
        expect(await subject.redacted(erasure)).to.equal(true);
      });

      it('lets an earlier GDPR notification keep its payload while its own erasure waits', async () => {
        const blocker = await subject.ordning(ENTITY_Z, CPR_B);
        const earlier = await subject.gdpr(ENTITY_Y, [ENTITY_Z], [CPR_A]);
        const laterErasure = await subject.gdpr(ENTITY_X, [], [CPR_A]);
        await subject.deliver(earlier);
        await subject.deliver(laterErasure);
        expect(await sweep().execute({ dryRun: false })).to.include({ gdpr: 1, erasuresWaiting: 1 });
        expect(await subject.redacted(earlier)).to.equal(false);
        expect(await subject.redacted(laterErasure)).to.equal(true);
        await subject.deliver(blocker);
        expect(await sweep().execute({ dryRun: false })).to.include({ gdpr: 2, erasuresWaiting: 0 });
        expect(await subject.redacted(earlier)).to.equal(true);
      });

      it('erases in batches of batchSize, then its own payload', async () => {
        const targets = [];
        for (let i = 0; i < 5; i++) targets.push(await subject.ordning(ENTITY_X, CPR_A));
        for (const id of targets) await deliveredDaysAgo(id, 1);
        await subject.deliver(await subject.gdpr(ENTITY_X, [], [CPR_A]));
        expect(await sweep({ batchSize: 2 }).execute({ dryRun: false })).to.include({ gdpr: 6 });
        expect(observer.batches).to.deep.equal([
          ['gdpr', 2],
          ['gdpr', 2],
          ['gdpr', 1],
          ['gdpr', 1],
        ]);
      });
    });
  });
}
