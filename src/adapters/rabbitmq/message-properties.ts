import type { Options } from 'amqplib';
import type { RelayMessage } from '../../application/relay/ports';

/**
 * The AMQP properties and headers a message is published with (docs/relay.md#publishing-and-confirms):
 * persistent and mandatory, ids, type and timestamp from the outbox row, and the row's trace context.
 */
export function messageProperties(message: RelayMessage, appId: string): Options.Publish {
  const headers: Record<string, string> = {
    'x-request-id': message.requestId,
    'jobcenter-kode': message.jobCenterKode,
    'ekstern-identifier': message.eksternIdentifier,
    aendringstype: message.aendringstype,
  };
  if (message.traceparent !== undefined) headers.traceparent = message.traceparent;
  if (message.tracestate !== undefined) headers.tracestate = message.tracestate;
  return {
    persistent: true,
    mandatory: true,
    messageId: message.messageId,
    correlationId: message.requestId,
    type: message.kind,
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    timestamp: Math.floor(message.receivedAt.getTime() / 1000),
    appId,
    headers,
  };
}
