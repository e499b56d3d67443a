import { expect } from 'chai';
import { InMemoryOperations } from '../../../support/fakes/in-memory-operations';
import { ParkOutboxMessage } from '../../../../src/application/operations/park-outbox-message';
import { ReplayOutboxMessages } from '../../../../src/application/operations/replay-outbox-messages';
import { FICTITIOUS_CPR } from '../../../support/fixtures';
import { append, CountingOperatorUnitOfWork } from '../../../support/operations-fixtures';
import { FixedClock } from '../../../support/fakes/fixed-clock';
import { ENTITY_X, ordningMessage } from '../../../support/operations-contract';

const NOW = new Date('2025-03-10T08:00:00.000Z');
const OPERATOR = { actor: 'ops-bob', reason: 'consumer cannot take it, ticket 43', dryRun: false };

describe('application/ParkOutboxMessage', () => {
  let clock: FixedClock;
  let operations: InMemoryOperations;
  let unitOfWork: CountingOperatorUnitOfWork;
  let park: ParkOutboxMessage;

  beforeEach(() => {
    clock = new FixedClock(NOW);
    operations = new InMemoryOperations(undefined, clock);
    unitOfWork = new CountingOperatorUnitOfWork(operations.unitOfWork);
    park = new ParkOutboxMessage(unitOfWork);
  });

  const row = () => append(operations, ordningMessage(ENTITY_X, FICTITIOUS_CPR, { receivedAt: NOW }));

  it('parks a pending row, keeping its attempts, and records who, why and when with its previous state', async () => {
    const id = await row();
    operations.markFailed(id, 'nack: consumer rejected', NOW);
    clock.advance(5_000);
    expect(await park.execute({ ...OPERATOR, messageId: id })).to.deep.equal({
      _tag: 'Parked',
      messageId: id,
      dryRun: false,
    });
    expect(operations.state(id)).to.include({
      status: 'parked',
      attempts: 1,
      lastError: 'parked by an operator (see operator_action)',
    });
    expect(operations.actions).to.deep.equal([
      {
        action: 'park',
        messageId: id,
        requestId: operations.outbox.rows[0]!.requestId,
        actor: 'ops-bob',
        reason: 'consumer cannot take it, ticket 43',
        dryRun: false,
        details: {
          previousStatus: 'pending',
          previousAttempts: 1,
          previousLastError: 'nack: consumer rejected',
        },
        at: clock.now(),
      },
    ]);
  });

  it('refuses a delivered or an already parked row and records nothing', async () => {
    const delivered = await row();
    operations.markDelivered(delivered, NOW);
    const parked = await row();
    operations.markParked(parked, 'unroutable: no binding');
    for (const [id, status] of [
      [delivered, 'delivered'],
      [parked, 'parked'],
    ] as const) {
      const before = operations.state(id);
      expect(await park.execute({ ...OPERATOR, messageId: id })).to.deep.equal({
        _tag: 'WrongStatus',
        messageId: id,
        status,
        allowed: 'pending',
      });
      expect(operations.state(id)).to.deep.equal(before);
    }
    expect(operations.actions).to.deep.equal([]);
  });

  it('answers NotFound for an unknown message id', async () => {
    const messageId = '00000000-0000-4000-8000-00000000dead';
    expect(await park.execute({ ...OPERATOR, messageId })).to.deep.equal({ _tag: 'NotFound', messageId });
    expect(operations.actions).to.deep.equal([]);
  });

  it('requires a reason and an actor before it opens a transaction', async () => {
    const id = await row();
    expect(await park.execute({ ...OPERATOR, reason: ' \t', messageId: id })).to.deep.equal({
      _tag: 'MissingReason',
    });
    expect(await park.execute({ ...OPERATOR, actor: '', messageId: id })).to.deep.equal({
      _tag: 'MissingActor',
    });
    expect(unitOfWork.runs).to.equal(0);
    expect(operations.state(id).status).to.equal('pending');
  });

  it('in a dry run changes nothing but records that the operator looked', async () => {
    const id = await row();
    expect(await park.execute({ ...OPERATOR, dryRun: true, messageId: id })).to.deep.equal({
      _tag: 'Parked',
      messageId: id,
      dryRun: true,
    });
    expect(operations.state(id).status).to.equal('pending');
    expect(operations.actions.map((a) => [a.action, a.dryRun])).to.deep.equal([['park', true]]);
  });

  it('a parked row can be replayed, and then parked again', async () => {
    const id = await row();
    const replay = new ReplayOutboxMessages(operations.unitOfWork);
    await park.execute({ ...OPERATOR, messageId: id });
    await replay.execute({ ...OPERATOR, target: { messageId: id } });
    expect(operations.state(id)).to.include({ status: 'pending', lastError: null });
    expect(await park.execute({ ...OPERATOR, messageId: id })).to.include({ _tag: 'Parked' });
    expect(operations.actions.map((a) => a.action)).to.deep.equal(['park', 'replay', 'park']);
  });
});
