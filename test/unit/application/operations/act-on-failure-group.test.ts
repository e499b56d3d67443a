import { expect } from 'chai';
import { ActOnFailureGroup } from '../../../../src/application/operations/act-on-failure-group';
import { FixedClock } from '../../../support/fakes/fixed-clock';
import { InMemoryOperations } from '../../../support/fakes/in-memory-operations';
import { InMemoryOutboxExplorer } from '../../../support/fakes/in-memory-outbox-explorer';
import { FICTITIOUS_CPR } from '../../../support/fixtures';
import { append } from '../../../support/in-memory-operations';
import { ENTITY_X, ENTITY_Y, ENTITY_Z, ordningMessage } from '../../../support/operations-contract';

const NOW = new Date('2025-03-10T08:00:00.000Z');
const OPERATOR = { actor: 'ops-alice', reason: 'downstream fixed, ticket 42' };

describe('application/ActOnFailureGroup', () => {
  let operations: InMemoryOperations;
  let explorer: InMemoryOutboxExplorer;
  let act: ActOnFailureGroup;
  let ids: string[];
  let fingerprint: string;

  beforeEach(async () => {
    const clock = new FixedClock(NOW);
    operations = new InMemoryOperations(undefined, clock);
    explorer = new InMemoryOutboxExplorer(operations, clock);
    act = new ActOnFailureGroup(explorer, operations.unitOfWork);
    ids = [];
    for (const [entity, order] of [
      [ENTITY_X, 17],
      [ENTITY_Y, 4242],
    ] as const) {
      const id = await append(operations, ordningMessage(entity, FICTITIOUS_CPR));
      operations.markFailed(id, `downstream refused order ${order}`, NOW);
      ids.push(id);
    }
    operations.markParked(ids[1] ?? '', 'downstream refused order 4242');
    const other = await append(operations, ordningMessage(ENTITY_Z, FICTITIOUS_CPR));
    operations.markFailed(other, 'something else entirely', NOW);
    const groups = await explorer.failureGroups();
    fingerprint = groups.find((g) => g.count === 2)?.fingerprint ?? '';
    expect(fingerprint).to.not.equal('');
  });

  it('replays every member when the count matches, in one action that links each message', async () => {
    const result = await act.execute({ ...OPERATOR, action: 'replay', fingerprint, expected: 2 });
    expect(result).to.deep.equal({ _tag: 'Done', action: 'replay', messageIds: ids });
    for (const id of ids) expect(operations.state(id)).to.include({ status: 'pending', attempts: 0 });
    expect(operations.actions).to.have.length(1);
    expect(operations.actions[0]).to.include({ action: 'replay', messageId: null, actor: 'ops-alice' });
    expect(operations.actions[0]?.messageIds).to.deep.equal(ids);
    expect(operations.actions[0]?.details).to.include({ scope: 'failure-group', fingerprint, count: 2 });
  });

  it('parks only the pending members; a parked one stays as it is', async () => {
    const result = await act.execute({ ...OPERATOR, action: 'park', fingerprint, expected: 2 });
    expect(result).to.deep.equal({ _tag: 'Done', action: 'park', messageIds: [ids[0]] });
    expect(operations.state(ids[0] ?? '').status).to.equal('parked');
    expect(operations.actions[0]?.messageIds).to.deep.equal([ids[0]]);
  });

  it('changes nothing and records nothing when the group no longer has the count the preview showed', async () => {
    for (const expected of [1, 3]) {
      const result = await act.execute({ ...OPERATOR, action: 'replay', fingerprint, expected });
      expect(result).to.deep.equal({ _tag: 'GroupChanged', expected, actual: 2 });
    }
    operations.markDelivered(ids[0] ?? '');
    const result = await act.execute({ ...OPERATOR, action: 'replay', fingerprint, expected: 2 });
    expect(result).to.deep.equal({ _tag: 'GroupChanged', expected: 2, actual: 1 });
    expect(operations.state(ids[1] ?? '').status).to.equal('parked');
    expect(operations.actions).to.deep.equal([]);
  });

  it('requires a reason', async () => {
    const result = await act.execute({
      ...OPERATOR,
      reason: ' ',
      action: 'replay',
      fingerprint,
      expected: 2,
    });
    expect(result).to.deep.equal({ _tag: 'MissingReason' });
    expect(operations.actions).to.deep.equal([]);
  });
});
