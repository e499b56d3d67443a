import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { expect } from 'chai';
import type { AppendOutcome, OutboxMessage, UnitOfWork } from '../../src/application/intake/ports';
import type { RequestId } from '../../src/domain/request-id';
import { FICTITIOUS_CPR } from './fixtures';

/** One implementation of the UnitOfWork/OutboxRepository port, fresh and empty. */
export interface OutboxSubject {
  readonly unitOfWork: UnitOfWork;
  /** Every committed message, in the order it was appended. */
  stored(): Promise<OutboxMessage[]>;
}

/** A complete outbox message with a fresh message id; all data fictitious. */
export function outboxMessage(requestId: string, overrides: Partial<OutboxMessage> = {}): OutboxMessage {
  return {
    messageId: randomUUID(),
    requestId: requestId as RequestId,
    kind: 'Ordningsnotifikation',
    eksternIdentifier: '3f2b8a4e-1c2d-4e5f-9a8b-7c6d5e4f3a2b',
    jobCenterKode: '10101',
    registreringsDato: new Date('2025-03-01T09:15:30.123Z'),
    aendringstype: 'Oprettelse',
    clientId: 'vitas-test-client',
    clientCertSubject: undefined,
    receivedAt: new Date('2025-03-01T12:00:00.456Z'),
    exchange: 'virksomhedsordning.webservicebesked',
    routingKey: 'ordningsnotifikation.10101',
    payload: {
      ordningsnotifikation: { jobCenterKode: '10101', body: { cprNummer: FICTITIOUS_CPR, jobtilbud: 1 } },
    },
    ...overrides,
  };
}

class WorkFailed extends Error {}

/**
 * The contract every UnitOfWork/OutboxRepository implementation honours, so that the in-memory fake
 * the unit tests use cannot drift from PostgreSQL. Call inside a mocha `describe`.
 */
export function describeOutboxContract(name: string, createSubject: () => Promise<OutboxSubject>): void {
  describe(`${name}: the outbox contract`, () => {
    let subject: OutboxSubject;
    beforeEach(async () => {
      subject = await createSubject();
    });

    const appendOne = (message: OutboxMessage): Promise<AppendOutcome> =>
      subject.unitOfWork.run(({ outbox }) => outbox.append(message));

    it('appends a message and reads it back field for field, once the run has resolved', async () => {
      const message = outboxMessage('contract-read-back', {
        kind: 'GdprSlettetNotifikation',
        aendringstype: 'Sletning',
        clientCertSubject: 'CN=vitas-test',
        routingKey: 'gdprslettetnotifikation.10101',
      });
      expect(await appendOne(message)).to.equal('appended');
      expect(await subject.stored()).to.deep.equal([message]);
    });

    it('resolves run with the value its work returns', async () => {
      const value = await subject.unitOfWork.run(async ({ outbox }) => {
        await outbox.append(outboxMessage('contract-value'));
        return { answer: 42 };
      });
      expect(value).to.deep.equal({ answer: 42 });
    });

    it('commits several messages of one run together', async () => {
      const messages = ['contract-many-1', 'contract-many-2', 'contract-many-3'].map((id) =>
        outboxMessage(id),
      );
      const outcomes = await subject.unitOfWork.run(async ({ outbox }) => {
        const result: AppendOutcome[] = [];
        for (const m of messages) result.push(await outbox.append(m));
        return result;
      });
      expect(outcomes).to.deep.equal(['appended', 'appended', 'appended']);
      expect(await subject.stored()).to.deep.equal(messages);
    });

    it('reports a requestId appended by an earlier run as a duplicate and writes nothing', async () => {
      const first = outboxMessage('contract-dup-across');
      expect(await appendOne(first)).to.equal('appended');
      expect(await appendOne(outboxMessage('contract-dup-across', { jobCenterKode: '20202' }))).to.equal(
        'duplicate-request-id',
      );
      expect(await subject.stored()).to.deep.equal([first]);
    });

    it('reports a requestId appended twice in one run as a duplicate the second time', async () => {
      const first = outboxMessage('contract-dup-within');
      const outcomes = await subject.unitOfWork.run(async ({ outbox }) => [
        await outbox.append(first),
        await outbox.append(outboxMessage('contract-dup-within')),
      ]);
      expect(outcomes).to.deep.equal(['appended', 'duplicate-request-id']);
      expect(await subject.stored()).to.deep.equal([first]);
    });

    it('leaves no row when the work throws after appending, and does not use up the requestId', async () => {
      const failure = new WorkFailed('after append');
      let outcome: AppendOutcome | undefined;
      let thrown: unknown;
      try {
        await subject.unitOfWork.run(async ({ outbox }) => {
          outcome = await outbox.append(outboxMessage('contract-throw'));
          throw failure;
        });
      } catch (error) {
        thrown = error;
      }
      expect(outcome).to.equal('appended');
      expect(thrown, 'run rejects with the work’s own error').to.equal(failure);
      expect(await subject.stored()).to.deep.equal([]);
      const retry = outboxMessage('contract-throw');
      expect(await appendOne(retry)).to.equal('appended');
      expect(await subject.stored()).to.deep.equal([retry]);
    });

    it('leaves no row of a failing work while concurrent works commit theirs', async () => {
      const good = Array.from({ length: 8 }, (_, i) => outboxMessage(`contract-mixed-ok-${i}`));
      const results = await Promise.allSettled([
        ...good.slice(0, 4).map(appendOne),
        subject.unitOfWork.run(async ({ outbox }) => {
          await outbox.append(outboxMessage('contract-mixed-bad-1'));
          throw new WorkFailed('after append');
        }),
        subject.unitOfWork.run(() => Promise.reject(new WorkFailed('before append'))),
        ...good.slice(4).map(appendOne),
      ]);
      expect(results.map((r) => r.status)).to.deep.equal([
        ...Array<string>(4).fill('fulfilled'),
        'rejected',
        'rejected',
        ...Array<string>(4).fill('fulfilled'),
      ]);
      const stored = await subject.stored();
      expect(stored.map((m) => m.requestId)).to.have.members(good.map((m) => m.requestId));
    });

    it('appends exactly one of many concurrent runs with the same requestId', async () => {
      const messages = Array.from({ length: 20 }, (_, i) =>
        outboxMessage('contract-race', { jobCenterKode: String(10100 + i) }),
      );
      const outcomes = await Promise.all(messages.map(appendOne));
      expect(outcomes.filter((o) => o === 'appended')).to.have.length(1);
      expect(outcomes.filter((o) => o === 'duplicate-request-id')).to.have.length(19);
      const stored = await subject.stored();
      expect(stored).to.have.length(1);
      expect(stored[0]).to.deep.equal(messages[outcomes.indexOf('appended')]);
    });

    it('appends every one of many concurrent runs with distinct requestIds', async () => {
      const messages = Array.from({ length: 50 }, (_, i) => outboxMessage(`contract-burst-${i}`));
      const outcomes = await Promise.all(messages.map(appendOne));
      expect(outcomes.every((o) => o === 'appended')).to.equal(true);
      expect((await subject.stored()).map((m) => m.requestId)).to.have.members(
        messages.map((m) => m.requestId),
      );
    });

    it('does not report a duplicate for a requestId whose concurrent appender then fails', async () => {
      // Run A appends and then fails; run B appends the same requestId meanwhile. Nothing of A may
      // remain, and B must not be told "duplicate" (a 412) for a requestId that ends up stored nowhere.
      // A first run that holds the unit of work for a moment makes A and B queue behind it, so
      // that an implementation that batches runs puts them in one batch.
      const fromB = outboxMessage('contract-race-fail', { jobCenterKode: '20202' });
      const [, a, b] = await Promise.allSettled([
        subject.unitOfWork.run(() => delay(20)),
        subject.unitOfWork.run(async ({ outbox }) => {
          await outbox.append(outboxMessage('contract-race-fail'));
          await delay(50);
          throw new WorkFailed('after append');
        }),
        subject.unitOfWork.run(({ outbox }) => outbox.append(fromB)),
      ]);
      expect(a.status).to.equal('rejected');
      expect(b).to.deep.equal({ status: 'fulfilled', value: 'appended' });
      expect(await subject.stored()).to.deep.equal([fromB]);
    });
  });
}
