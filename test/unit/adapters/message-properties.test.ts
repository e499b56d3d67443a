import { expect } from 'chai';
import { messageProperties } from '../../../src/adapters/rabbitmq/message-properties';
import type { RelayMessage } from '../../../src/application/relay/ports';

const message: RelayMessage = {
  seq: '7',
  messageId: '3f2b8a4e-1c2d-4e5f-9a8b-7c6d5e4f3a2b',
  requestId: 'req-1',
  kind: 'Ordningsnotifikation',
  eksternIdentifier: '00000000-0000-4000-8000-000000000001',
  jobCenterKode: '10101',
  aendringstype: 'Opdatering',
  receivedAt: new Date('2026-03-01T10:15:30.900Z'),
  exchange: 'virksomhedsordning.webservicebesked',
  routingKey: 'ordningsnotifikation.10101',
  body: Buffer.from('{}'),
  attempts: 0,
};

describe('adapters/rabbitmq: message properties', () => {
  it('publishes persistent and mandatory, with the ids, type, timestamp (whole seconds) and headers of the row', () => {
    expect(messageProperties(message, 'wsb-gateway')).to.deep.equal({
      persistent: true,
      mandatory: true,
      messageId: message.messageId,
      correlationId: 'req-1',
      type: 'Ordningsnotifikation',
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      timestamp: Math.floor(message.receivedAt.getTime() / 1000),
      appId: 'wsb-gateway',
      headers: {
        'x-request-id': 'req-1',
        'jobcenter-kode': '10101',
        'ekstern-identifier': message.eksternIdentifier,
        aendringstype: 'Opdatering',
      },
    });
  });

  it('adds traceparent and tracestate only when the row has them', () => {
    const traced = messageProperties(
      {
        ...message,
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        tracestate: 'v=1',
      },
      'wsb-gateway',
    );
    expect(traced.headers).to.include({
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      tracestate: 'v=1',
    });
    expect(messageProperties(message, 'x').headers).to.not.have.any.keys('traceparent', 'tracestate');
  });
});
