import { expect } from 'chai';
import { InMemoryOperations } from '../../../support/fakes/in-memory-operations';
import { ShowOutboxMessage } from '../../../../src/application/operations/show-outbox-message';
import { FICTITIOUS_CPR } from '../../../support/fixtures';
import { append } from '../../../support/operations-fixtures';
import { FixedClock } from '../../../support/fakes/fixed-clock';
import { ENTITY_X, ordningMessage } from '../../../support/operations-contract';

const NOW = new Date('2025-03-10T08:00:00.000Z');
const DAY = 86_400_000;

describe('application/ShowOutboxMessage', () => {
  let clock: FixedClock;
  let operations: InMemoryOperations;
  let show: ShowOutboxMessage;

  beforeEach(() => {
    clock = new FixedClock(NOW);
    operations = new InMemoryOperations(undefined, clock);
    show = new ShowOutboxMessage(operations.readModel);
  });

  it('shows the metadata by message id or request id, without the payload unless asked', async () => {
    const message = ordningMessage(ENTITY_X, FICTITIOUS_CPR, { receivedAt: NOW });
    await append(operations, message);
    operations.markDelivered(message.messageId, NOW);
    for (const id of [message.messageId, message.messageId.toUpperCase(), ` ${message.requestId} `]) {
      const result = await show.execute({ id, withPayload: false });
      if (result._tag !== 'Found') throw new Error(`not found by ${id}`);
      expect(result.messages).to.have.length(1);
      expect(result.messages[0]).to.not.have.property('payload');
      expect(result.messages[0]?.entry).to.include({
        messageId: message.messageId,
        requestId: message.requestId,
        status: 'delivered',
        seq: '1',
      });
      expect(result.messages[0]?.entry.deliveredAt).to.deep.equal(NOW);
    }
  });

  it('shows the payload on request, and null once it is redacted', async () => {
    const message = ordningMessage(ENTITY_X, FICTITIOUS_CPR, { receivedAt: NOW });
    await append(operations, message);
    expect(await show.execute({ id: message.messageId, withPayload: true })).to.deep.equal({
      _tag: 'Found',
      messages: [
        { entry: (await operations.readModel.find(message.messageId))[0], payload: message.payload },
      ],
    });
    operations.markDelivered(message.messageId, new Date(NOW.getTime() - 31 * DAY));
    await operations.redactionStore.redactExpired(new Date(NOW.getTime() - 30 * DAY), 10);
    const result = await show.execute({ id: message.messageId, withPayload: true });
    expect(result._tag === 'Found' && result.messages[0]).to.deep.include({ payload: null });
    expect(result._tag === 'Found' && result.messages[0]?.entry.redactedAt).to.deep.equal(NOW);
  });

  it('answers NotFound for an id no row has', async () => {
    await append(operations, ordningMessage(ENTITY_X, FICTITIOUS_CPR));
    expect(await show.execute({ id: 'no-such-request', withPayload: true })).to.deep.equal({
      _tag: 'NotFound',
    });
    expect(
      await show.execute({ id: '00000000-0000-4000-8000-00000000dead', withPayload: false }),
    ).to.deep.equal({
      _tag: 'NotFound',
    });
  });
});
