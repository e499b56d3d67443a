import { expect } from 'chai';
import {
  normaliseCprNummer,
  SearchSubjectAccess,
} from '../../../../src/application/operations/search-subject-access';
import { FixedClock } from '../../../support/fakes/fixed-clock';
import { InMemoryOperations } from '../../../support/fakes/in-memory-operations';
import { InMemoryOutboxExplorer } from '../../../support/fakes/in-memory-outbox-explorer';
import { FICTITIOUS_CPR, FICTITIOUS_CPR_2 } from '../../../support/fixtures';
import { append } from '../../../support/in-memory-operations';
import { ENTITY_X, ENTITY_Y, ordningMessage } from '../../../support/operations-contract';

describe('application/SearchSubjectAccess', () => {
  let operations: InMemoryOperations;
  let search: SearchSubjectAccess;

  beforeEach(() => {
    const clock = new FixedClock(new Date('2025-03-10T08:00:00.000Z'));
    operations = new InMemoryOperations(undefined, clock);
    search = new SearchSubjectAccess(new InMemoryOutboxExplorer(operations, clock), operations.unitOfWork);
  });

  it('answers the messages naming the CPR number and logs who, why and which messages, never the number', async () => {
    const mine = await append(operations, ordningMessage(ENTITY_X, FICTITIOUS_CPR));
    await append(operations, ordningMessage(ENTITY_Y, FICTITIOUS_CPR_2));
    const dashed = `${FICTITIOUS_CPR.slice(0, 6)}-${FICTITIOUS_CPR.slice(6)}`;
    const result = await search.execute({
      cprNummer: dashed,
      actor: 'auditor-ann',
      reason: 'access request 7',
    });
    expect(result._tag).to.equal('Found');
    expect(result._tag === 'Found' ? result.entries.map((e) => e.messageId) : []).to.deep.equal([mine]);
    expect(operations.actions).to.have.length(1);
    expect(operations.actions[0]).to.include({
      action: 'subject-access',
      actor: 'auditor-ann',
      reason: 'access request 7',
    });
    expect(operations.actions[0]?.messageIds).to.deep.equal([mine]);
    expect(JSON.stringify(operations.actions)).to.not.include(FICTITIOUS_CPR);
  });

  it('refuses a search without a reason or with something that is not a CPR number, logging nothing', async () => {
    expect(await search.execute({ cprNummer: FICTITIOUS_CPR, actor: 'a', reason: '' })).to.deep.equal({
      _tag: 'MissingReason',
    });
    expect(await search.execute({ cprNummer: '01010', actor: 'a', reason: 'r' })).to.deep.equal({
      _tag: 'InvalidCpr',
    });
    expect(operations.actions).to.deep.equal([]);
  });

  it('normalises ten digits with or without the dash', () => {
    expect(normaliseCprNummer(' 010101-0000 ')).to.equal('0101010000');
    expect(normaliseCprNummer('0101010000')).to.equal('0101010000');
    expect(normaliseCprNummer('010101--0000')).to.equal(undefined);
    expect(normaliseCprNummer('01010100000')).to.equal(undefined);
  });
});
