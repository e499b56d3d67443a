import { expect } from 'chai';
import { insertOutboxRowsStatement } from '../../../../src/adapters/postgres/sql/insert-outbox-rows';
import type { OutboxMessage } from '../../../../src/application/intake/ports';
import type { RequestId } from '../../../../src/domain/request-id';

function message(requestId: string): OutboxMessage {
  return {
    messageId: '6f1c1f0e-2d3a-4b7e-9a51-0c8f5e2b7a10',
    requestId: requestId as RequestId,
    kind: 'Ordningsnotifikation',
    eksternIdentifier: '0b5f8a4e-3c1d-4e2f-8a9b-7c6d5e4f3a2b',
    jobCenterKode: '101',
    registreringsDato: new Date('2025-03-01T09:15:30Z'),
    aendringstype: 'Oprettelse',
    clientId: 'vitas-test',
    clientCertSubject: undefined,
    receivedAt: new Date('2025-03-01T09:15:31Z'),
    exchange: 'wsb',
    routingKey: 'ordningsnotifikation.101',
    payload: { ordningsnotifikation: { jobCenterKode: '101' } },
  };
}

describe('adapters/postgres: the intake insert statement', () => {
  it('numbers fifteen parameters per row, in the order the rows are given, for any batch size', () => {
    for (const rows of [1, 3, 1, 2]) {
      const ids = Array.from({ length: rows }, (_, i) => `r-${rows}-${i}`);
      const query = insertOutboxRowsStatement(ids.map(message));
      expect(query.parameters).to.have.length(rows * 15);
      expect(query.sql)
        .to.include(`$${rows * 15})`)
        .and.not.include(`$${rows * 15 + 1}`);
      expect(ids.map((_, i) => query.parameters[i * 15 + 1])).to.deep.equal(ids);
    }
  });

  it('passes the payload as JSON text and absent optional values as null', () => {
    const query = insertOutboxRowsStatement([message('r-1')]);
    expect(query.parameters[12]).to.equal('{"ordningsnotifikation":{"jobCenterKode":"101"}}');
    expect([query.parameters[8], query.parameters[13], query.parameters[14]]).to.deep.equal([
      null,
      null,
      null,
    ]);
  });
});
