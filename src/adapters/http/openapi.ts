import { FEJL } from '../../domain/errors';
import {
  DispatchGdprDeletedNotificationRequestDto,
  SendOrdningsnotifikationRequestDto,
} from '../../domain/notification';
import { REQUEST_ID_HEADER, REQUEST_ID_MAX_LENGTH, REQUEST_ID_PATTERN_TEXT } from '../../domain/request-id';
import { WRITE_SCOPE } from '../../application/intake/authentication';
import { DESCRIPTIONS, type JsonSchema, SchemaBuilder } from './codec-json-schema';
import { REQUEST_EXAMPLES } from './request-examples';

/**
 * The OpenAPI 3.1 description of the intake, derived from the io-ts codecs (codec-json-schema.ts)
 * so that it cannot say something the gateway does not do: the schemas of the two bodies, the
 * problem schema, the examples, the operations.
 */

const OPERATION_SUMMARY = 'Skriver en wsb til RabbitMQ';

type RequestCodec =
  typeof SendOrdningsnotifikationRequestDto | typeof DispatchGdprDeletedNotificationRequestDto;

const problemSchema: JsonSchema = {
  type: 'object',
  description: 'RFC 9457 problem details with STAR’s fejlkode/fejltekst where one exists.',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    fejlkode: { type: 'integer', description: 'STAR’s numeric error code, e.g. 1014, 1012, 4575.' },
    fejltekst: { type: 'string' },
    requestId: { type: 'string', description: 'The x-requestId of the request, when it was well-formed.' },
    errors: {
      type: 'array',
      description: 'Every violation found, one per JSON path. Never contains a value from the request.',
      items: {
        type: 'object',
        required: ['path', 'fejlkode', 'message'],
        properties: {
          path: {
            type: 'string',
            examples: ['ordningsnotifikation.body.cvrNummer', 'gdprSlettetNotifikation.body.cprNumre[2]'],
          },
          fejlkode: {
            type: 'integer',
            enum: [
              FEJL.invalidMessage.fejlkode,
              FEJL.invalidCodeListValue.fejlkode,
              FEJL.expiredCodeListValue.fejlkode,
            ],
            description: `${FEJL.invalidMessage.fejlkode} ${FEJL.invalidMessage.fejltekst}; ${FEJL.invalidCodeListValue.fejlkode} ${FEJL.invalidCodeListValue.fejltekst}; ${FEJL.expiredCodeListValue.fejlkode} ${FEJL.expiredCodeListValue.fejltekst}`,
          },
          message: { type: 'string' },
        },
      },
    },
  },
};

const problemResponse = (description: string, headers?: Record<string, unknown>) => ({
  description,
  ...(headers !== undefined ? { headers } : {}),
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

function operation(codec: RequestCodec, builder: SchemaBuilder, operationId: string) {
  const example = REQUEST_EXAMPLES[codec.name];
  return {
    operationId,
    summary: OPERATION_SUMMARY,
    security: [{ bearer: [WRITE_SCOPE] }],
    parameters: [{ $ref: '#/components/parameters/RequestId' }],
    requestBody: {
      required: true,
      content: {
        'application/json': {
          schema: builder.schemaOf(codec),
          ...(example !== undefined
            ? { examples: { fiktivt: { summary: 'Fiktive data', value: example } } }
            : {}),
        },
      },
    },
    responses: {
      '200': { description: 'Intet output: the notification and its requestId are committed to the outbox.' },
      '400': problemResponse(
        `${FEJL.invalidMessage.fejlkode} ${FEJL.invalidMessage.fejltekst}: x-requestId or body invalid; every violation in errors.`,
      ),
      '401': problemResponse(`${FEJL.logonFailed.fejlkode} ${FEJL.logonFailed.fejltekst}`, {
        'WWW-Authenticate': { schema: { type: 'string' } },
      }),
      '403': problemResponse(`${FEJL.notAuthorized.fejlkode} ${FEJL.notAuthorized.fejltekst}`),
      '412': problemResponse('The x-requestId has been used before; nothing was written.'),
      '413': problemResponse('The body is larger than the limit.'),
      '415': problemResponse('The body is not application/json.'),
      '503': problemResponse('The outbox database is unreachable; nothing was accepted.', {
        'Retry-After': { schema: { type: 'integer' } },
      }),
    },
  };
}

export function buildOpenApiDocument(): JsonSchema {
  const builder = new SchemaBuilder();
  const paths = {
    '/v1/Webservicebesked/SendOrdningsnotifikation': {
      post: operation(SendOrdningsnotifikationRequestDto, builder, 'SendOrdningsnotifikation'),
    },
    '/v1/Webservicebesked/SendGdprSlettetNotifikation': {
      post: operation(DispatchGdprDeletedNotificationRequestDto, builder, 'SendGdprSlettetNotifikation'),
    },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Virksomhedsordning.WebservicebeskedService',
      version: '1 (2025-2)',
      description:
        'wsb-gateway: the two Webservicebesked endpoints. Accepted notifications are stored in a transactional outbox and published to RabbitMQ.',
    },
    paths,
    components: {
      schemas: { ...builder.components, Problem: problemSchema },
      parameters: {
        RequestId: {
          name: REQUEST_ID_HEADER,
          in: 'header',
          required: true,
          description: DESCRIPTIONS[REQUEST_ID_HEADER],
          schema: {
            type: 'string',
            minLength: 1,
            maxLength: REQUEST_ID_MAX_LENGTH,
            pattern: REQUEST_ID_PATTERN_TEXT,
            description:
              'Printable US-ASCII (0x20–0x7E), neither first nor last a space (HTTP strips it): a header value has no declared encoding, so anything else is refused rather than stored garbled.',
          },
        },
      },
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: `OAuth2 bearer token (JWT) with the scope ${WRITE_SCOPE}.`,
        },
      },
    },
  };
}

export const OPENAPI_DOCUMENT: JsonSchema = buildOpenApiDocument();
