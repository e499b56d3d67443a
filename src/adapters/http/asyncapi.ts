import {
  DispatchGdprDeletedNotificationRequestDto,
  GDPR_SLETTET_NOTIFIKATION,
  type MessageKind,
  ORDNINGSNOTIFIKATION,
  SendOrdningsnotifikationRequestDto,
} from '../../domain/notification';
import { CODE_MAX, CODE_MIN, UUID_PATTERN_TEXT } from '../../domain/primitives';
import { REQUEST_ID_MAX_LENGTH, REQUEST_ID_PATTERN_TEXT } from '../../domain/request-id';
import { TRACEPARENT_PATTERN, TRACESTATE_MAX_LENGTH } from '../../domain/trace-context';
import { type JsonSchema, SchemaBuilder } from './codec-json-schema';
import { REQUEST_EXAMPLES } from './request-examples';

/**
 * The AsyncAPI 3.0 description of what the relay publishes (CONTRACT §4), derived from the same
 * io-ts codecs as the OpenAPI document. The published body is the request body as accepted, so
 * its schemas are the request's with one difference: codes are always integers (the intake
 * normalises a string of digits). Served at /asyncapi.json and checked in as docs/asyncapi.json.
 */

export const DEFAULT_ASYNCAPI_EXCHANGE = 'virksomhedsordning.webservicebesked';

const PUBLISHED_LEAVES: Readonly<Record<string, JsonSchema>> = {
  Code: {
    type: 'integer',
    minimum: CODE_MIN,
    maximum: CODE_MAX,
    description: `Kode fra STAR-kodeliste (CodeListItemIdentifierType, ${CODE_MIN}–${CODE_MAX}), altid heltal i den publicerede besked. / Always an integer when published.`,
  },
};

const DELIVERY = [
  'Delivery: at least once. A message can arrive more than once (a relay restart, a lost confirm); every copy carries the same messageId, so consumers deduplicate by messageId.',
  'Order: for one eksternIdentifier, messages are published in the order the gateway accepted them (created before edited before GDPR-deleted), with any number of relay processes; no order holds between different entities.',
  'A message is published persistent (deliveryMode 2) and mandatory, and marked delivered only after the broker confirmed it routed.',
].join(' ');

const AENDRINGSTYPE: Readonly<Record<MessageKind, readonly string[]>> = {
  Ordningsnotifikation: ['Oprettelse', 'Opdatering'],
  GdprSlettetNotifikation: ['Sletning'],
};

/** The AMQP headers table of a message of `kind` (CONTRACT §4). */
function headersSchema(kind: MessageKind): JsonSchema {
  return {
    type: 'object',
    description: 'AMQP message headers (the headers table of basic.properties).',
    required: ['x-request-id', 'jobcenter-kode', 'ekstern-identifier', 'aendringstype', 'traceparent'],
    properties: {
      'x-request-id': {
        type: 'string',
        minLength: 1,
        maxLength: REQUEST_ID_MAX_LENGTH,
        pattern: REQUEST_ID_PATTERN_TEXT,
        description: "VITAS' x-requestId of the call that produced the message.",
      },
      'jobcenter-kode': {
        type: 'string',
        minLength: 1,
        description: 'jobCenterKode, as in the routing key.',
      },
      'ekstern-identifier': {
        type: 'string',
        pattern: UUID_PATTERN_TEXT,
        description: 'eksternIdentifier in lower case: the entity, and the ordering key.',
      },
      aendringstype: {
        type: 'string',
        enum: [...AENDRINGSTYPE[kind]],
        description: 'Oprettelse (erOprettelse true), Opdatering (false) or Sletning (GDPR).',
      },
      traceparent: {
        type: 'string',
        pattern: TRACEPARENT_PATTERN,
        description:
          "W3C Trace Context: continues the HTTP request's trace (a new trace when the request carried none).",
      },
      tracestate: {
        type: 'string',
        maxLength: TRACESTATE_MAX_LENGTH,
        description: "W3C Trace Context: the request's tracestate, when it sent one.",
      },
    },
  };
}

/** The AMQP basic properties, which AsyncAPI has no field for: `x-amqp-properties`. */
function propertiesSchema(kind: MessageKind): JsonSchema {
  return {
    type: 'object',
    required: ['messageId', 'correlationId', 'type', 'contentType', 'deliveryMode', 'timestamp', 'appId'],
    properties: {
      messageId: {
        type: 'string',
        pattern: UUID_PATTERN_TEXT,
        description: "The outbox row's message_id: stable across redeliveries; deduplicate by it.",
      },
      correlationId: {
        type: 'string',
        minLength: 1,
        maxLength: REQUEST_ID_MAX_LENGTH,
        pattern: REQUEST_ID_PATTERN_TEXT,
        description: 'x-requestId.',
      },
      type: { type: 'string', const: kind },
      contentType: { type: 'string', const: 'application/json' },
      contentEncoding: { type: 'string', const: 'utf-8' },
      deliveryMode: { type: 'integer', const: 2, description: 'Persistent.' },
      timestamp: {
        type: 'integer',
        description: 'When the gateway accepted the call (seconds since the epoch).',
      },
      appId: { type: 'string', description: 'AMQP_APP_ID (default wsb-gateway).' },
    },
  };
}

function message(kind: MessageKind, payloadRef: string, exampleName: string): JsonSchema {
  const example = REQUEST_EXAMPLES[exampleName];
  return {
    name: kind,
    title: kind,
    summary:
      kind === 'Ordningsnotifikation'
        ? 'A case document (ansøgning, bevilling, vurdering, …) was created or edited in VITAS.'
        : 'Case data was GDPR-deleted in VITAS: delete the CPR numbers and entities named.',
    contentType: 'application/json',
    headers: { $ref: `#/components/schemas/${kind}Headers` },
    payload: { $ref: payloadRef },
    correlationId: { $ref: '#/components/correlationIds/RequestId' },
    bindings: { amqp: { contentEncoding: 'utf-8', messageType: kind, bindingVersion: '0.3.0' } },
    'x-amqp-properties': { $ref: `#/components/schemas/${kind}Properties` },
    ...(example !== undefined
      ? { examples: [{ name: 'fiktivt', summary: 'Fiktive data', payload: example }] }
      : {}),
  };
}

function channel(prefix: string, kind: MessageKind, exchange: string): JsonSchema {
  return {
    address: `${prefix}.{jobCenterKode}`,
    title: `${prefix}.{jobCenterKode}`,
    description: `Routing key ${prefix}.<jobCenterKode> on the topic exchange ${exchange}. Bind a queue with ${prefix}.# for every jobcenter, or ${prefix}.<kode> for one.`,
    parameters: {
      jobCenterKode: {
        description:
          'Jobcenterkode på det jobcenter som ejer entiteten (5 digits: municipality and sub-jobcenter).',
        examples: ['10101'],
      },
    },
    messages: { [kind]: { $ref: `#/components/messages/${kind}` } },
    bindings: {
      amqp: {
        is: 'routingKey',
        exchange: { name: exchange, type: 'topic', durable: true, autoDelete: false, vhost: '/' },
        bindingVersion: '0.3.0',
      },
    },
  };
}

export function buildAsyncApiDocument(exchange: string = DEFAULT_ASYNCAPI_EXCHANGE): JsonSchema {
  const builder = new SchemaBuilder(PUBLISHED_LEAVES);
  const ordningsPayload = builder.schemaOf(SendOrdningsnotifikationRequestDto).$ref as string;
  const gdprPayload = builder.schemaOf(DispatchGdprDeletedNotificationRequestDto).$ref as string;
  const ordnings = ORDNINGSNOTIFIKATION.routingKeyPrefix;
  const gdpr = GDPR_SLETTET_NOTIFIKATION.routingKeyPrefix;
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Virksomhedsordning.WebservicebeskedService: webservicebeskeder (wsb) on RabbitMQ',
      version: '1 (2025-2)',
      description: `What wsb-gateway publishes for the municipal case systems (KSS) to consume: one message per accepted SendOrdningsnotifikation or SendGdprSlettetNotifikation call. The body is the request body as accepted (validated, unknown properties dropped, codes as integers). ${DELIVERY}`,
    },
    defaultContentType: 'application/json',
    servers: {
      rabbitmq: {
        host: 'rabbitmq.example:5672',
        protocol: 'amqp',
        protocolVersion: '0.9.1',
        description:
          "The operator's RabbitMQ (AMQP_URL); the exchange is declared by the relay (AMQP_EXCHANGE).",
      },
    },
    channels: {
      ordningsnotifikation: channel(ordnings, 'Ordningsnotifikation', exchange),
      gdprslettetnotifikation: channel(gdpr, 'GdprSlettetNotifikation', exchange),
    },
    operations: {
      receiveOrdningsnotifikation: {
        action: 'receive',
        title: 'Receive Ordningsnotifikation',
        description: DELIVERY,
        channel: { $ref: '#/channels/ordningsnotifikation' },
        messages: [{ $ref: '#/channels/ordningsnotifikation/messages/Ordningsnotifikation' }],
      },
      receiveGdprSlettetNotifikation: {
        action: 'receive',
        title: 'Receive GdprSlettetNotifikation',
        description: DELIVERY,
        channel: { $ref: '#/channels/gdprslettetnotifikation' },
        messages: [{ $ref: '#/channels/gdprslettetnotifikation/messages/GdprSlettetNotifikation' }],
      },
    },
    components: {
      messages: {
        Ordningsnotifikation: message(
          'Ordningsnotifikation',
          ordningsPayload,
          'SendOrdningsnotifikationRequestDto',
        ),
        GdprSlettetNotifikation: message(
          'GdprSlettetNotifikation',
          gdprPayload,
          'DispatchGdprDeletedNotificationRequestDto',
        ),
      },
      schemas: {
        ...builder.components,
        OrdningsnotifikationHeaders: headersSchema('Ordningsnotifikation'),
        GdprSlettetNotifikationHeaders: headersSchema('GdprSlettetNotifikation'),
        OrdningsnotifikationProperties: propertiesSchema('Ordningsnotifikation'),
        GdprSlettetNotifikationProperties: propertiesSchema('GdprSlettetNotifikation'),
      },
      correlationIds: {
        RequestId: {
          description: "VITAS' x-requestId, also the AMQP correlationId property.",
          location: '$message.header#/x-request-id',
        },
      },
    },
  };
}

export const ASYNCAPI_DOCUMENT: JsonSchema = buildAsyncApiDocument();
