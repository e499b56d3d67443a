import { expect } from 'chai';
import { InMemoryOperations } from '../../../support/fakes/in-memory-operations';
import { ReplayOutboxMessages } from '../../../../src/application/operations/replay-outbox-messages';
import { FICTITIOUS_CPR } from '../../../support/fixtures';
import { append, CountingOperatorUnitOfWork } from '../../../support/in-memory-operations';
import { FixedClock } from '../../../support/fakes/fixed-clock';
import { ENTITY_X, ENTITY_Y, ENTITY_Z, ordningMessage } from '../../../support/operations-contract';

const DAY = 86_400_000;
const NOW = new Date('2025-03-10T08:00:00.000Z');
const OPERATOR = { actor: 'ops-alice', reason: 'broker binding fixed, ticket 42', dryRun: false };

describe('application/ReplayOutboxMessages', () => {
  let clock: FixedClock;
  let operations: InMemoryOperations;
  let unitOfWork: CountingOperatorUnitOfWork;
  let replay: ReplayOutboxMessages;

  beforeEach(() => {
    clock = new FixedClock(NOW);
    operations = new InMemoryOperations(undefined, clock);
    unitOfWork = new CountingOperatorUnitOfWork(operations.unitOfWork);
    replay = new ReplayOutboxMessages(unitOfWork);
  });

  const row = (entity = ENTITY_X) =>
    append(
      operations,
      ordningMessage(entity, FICTITIOUS_CPR, { receivedAt: new Date(NOW.getTime() - 3_600_000) }),
    );
  const parkedRow = async (entity = ENTITY_X) => {
    const id = await row(entity);
    operations.markFailed(id, 'unroutable: no binding', NOW);
    operations.markParked(id, 'unroutable: no binding');
    return id;
  };

  it('puts a parked row back to pending, attempts 0, no last error, due now, and records who, why and when', async () => {
    const id = await parkedRow();
    clock.advance(60_000);
    const result = await replay.execute({ ...OPERATOR, target: { messageId: id } });
    expect(result).to.deep.equal({ _tag: 'Replayed', messageIds: [id], dryRun: false });
    expect(operations.state(id)).to.include({ status: 'pending', attempts: 0, lastError: null });
    expect(operations.state(id).nextAttemptAt).to.deep.equal(clock.now());
    expect(operations.actions).to.deep.equal([
      {
        action: 'replay',
        messageId: id,
        requestId: operations.outbox.rows[0]!.requestId,
        actor: 'ops-alice',
        reason: 'broker binding fixed, ticket 42',
        dryRun: false,
        details: {
          previousStatus: 'parked',
          previousAttempts: 1,
          previousLastError: 'unroutable: no binding',
        },
        at: clock.now(),
      },
    ]);
  });

  it('replays a stuck pending row the same way', async () => {
    const id = await row();
    for (let i = 0; i < 3; i++)
      operations.markFailed(id, 'timeout: no confirm', new Date(NOW.getTime() + DAY));
    const result = await replay.execute({ ...OPERATOR, target: { messageId: id } });
    expect(result).to.deep.equal({ _tag: 'Replayed', messageIds: [id], dryRun: false });
    expect(operations.state(id)).to.deep.include({
      status: 'pending',
      attempts: 0,
      lastError: null,
      nextAttemptAt: NOW,
    });
    expect(operations.actions[0]?.details).to.deep.equal({
      previousStatus: 'pending',
      previousAttempts: 3,
      previousLastError: 'timeout: no confirm',
    });
  });

  it('finds the row by its message id in upper case too', async () => {
    const id = await parkedRow();
    expect(await replay.execute({ ...OPERATOR, target: { messageId: id.toUpperCase() } })).to.deep.equal({
      _tag: 'Replayed',
      messageIds: [id],
      dryRun: false,
    });
  });

  it('never replays a delivered row, and records nothing for the refusal', async () => {
    const id = await row();
    operations.markDelivered(id, NOW);
    const before = operations.state(id);
    expect(await replay.execute({ ...OPERATOR, target: { messageId: id } })).to.deep.equal({
      _tag: 'WrongStatus',
      messageId: id,
      status: 'delivered',
      allowed: 'parked, pending',
    });
    expect(operations.state(id)).to.deep.equal(before);
    expect(operations.actions).to.deep.equal([]);
  });

  it('answers NotFound for an unknown or malformed message id, recording nothing', async () => {
    for (const messageId of ['00000000-0000-4000-8000-00000000dead', 'not-a-message-id']) {
      expect(await replay.execute({ ...OPERATOR, target: { messageId } })).to.deep.equal({
        _tag: 'NotFound',
        messageId,
      });
    }
    expect(operations.actions).to.deep.equal([]);
  });

  it('requires a reason and an actor before it opens a transaction', async () => {
    const id = await parkedRow();
    for (const reason of ['', '   ']) {
      expect(await replay.execute({ ...OPERATOR, reason, target: { messageId: id } })).to.deep.equal({
        _tag: 'MissingReason',
      });
    }
    expect(await replay.execute({ ...OPERATOR, actor: ' ', target: 'all-parked' })).to.deep.equal({
      _tag: 'MissingActor',
    });
    expect(unitOfWork.runs).to.equal(0);
    expect(operations.state(id).status).to.equal('parked');
    expect(operations.actions).to.deep.equal([]);
  });

  it('in a dry run changes nothing but reports the row and records that the operator looked', async () => {
    const id = await parkedRow();
    const before = operations.state(id);
    const result = await replay.execute({ ...OPERATOR, dryRun: true, target: { messageId: id } });
    expect(result).to.deep.equal({ _tag: 'Replayed', messageIds: [id], dryRun: true });
    expect(operations.state(id)).to.deep.equal(before);
    expect(operations.actions).to.have.length(1);
    expect(operations.actions[0]).to.include({
      action: 'replay',
      messageId: id,
      dryRun: true,
      actor: 'ops-alice',
    });
  });

  it('--all-parked replays every parked row, in seq order, with one bulk record listing them', async () => {
    const parkedY = await parkedRow(ENTITY_Y);
    const pending = await row(ENTITY_Y);
    const parkedX = await parkedRow(ENTITY_X);
    const delivered = await row(ENTITY_Z);
    operations.markDelivered(delivered, NOW);

    const result = await replay.execute({ ...OPERATOR, target: 'all-parked' });
    expect(result).to.deep.equal({ _tag: 'Replayed', messageIds: [parkedY, parkedX], dryRun: false });
    for (const id of [parkedY, parkedX])
      expect(operations.state(id)).to.include({ status: 'pending', attempts: 0 });
    expect(operations.state(pending)).to.include({ status: 'pending' });
    expect(operations.state(delivered)).to.include({ status: 'delivered' });
    expect(operations.actions).to.deep.equal([
      {
        action: 'replay',
        messageId: null,
        requestId: null,
        actor: 'ops-alice',
        reason: 'broker binding fixed, ticket 42',
        dryRun: false,
        details: { scope: 'all-parked', count: 2 },
        messageIds: [parkedY, parkedX],
        at: NOW,
      },
    ]);
  });

  it('--all-parked --dry-run lists what it would replay and changes nothing; with nothing parked it replays nothing', async () => {
    const parked = await parkedRow();
    const dry = await replay.execute({ ...OPERATOR, dryRun: true, target: 'all-parked' });
    expect(dry).to.deep.equal({ _tag: 'Replayed', messageIds: [parked], dryRun: true });
    expect(operations.state(parked).status).to.equal('parked');
    await replay.execute({ ...OPERATOR, target: 'all-parked' });
    const none = await replay.execute({ ...OPERATOR, target: 'all-parked' });
    expect(none).to.deep.equal({ _tag: 'Replayed', messageIds: [], dryRun: false });
    expect(operations.actions.map((a) => [a.dryRun, a.details['count']])).to.deep.equal([
      [true, 1],
      [false, 1],
      [false, 0],
    ]);
  });
});
