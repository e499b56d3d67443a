import { expect } from 'chai';
import { isRight } from 'fp-ts/lib/Either';
import type { Authenticator } from '../../../src/adapters/auth/jwt-authenticator';
import { renderDocumentation } from '../../../src/adapters/http/documentation-router';
import { OPENAPI_DOCUMENT } from '../../../src/adapters/http/openapi';
import { InMemoryOutbox } from '../../support/fakes/in-memory-outbox';
import { decodeNotification } from '../../../src/domain/notification';
import {
  CODE_STRING_PATTERN,
  DATE_TIME_SCHEMA_PATTERN,
  STORABLE_STRING_PATTERN,
  UUID_PATTERN_TEXT,
} from '../../../src/domain/primitives';
import { ORDNINGS_PATH, post, type RunningIntake, startIntake } from '../../support/intake';
import {
  isCodeListType,
  REQUEST_ID_MAX_LENGTH_FROM_SOURCE,
  SOURCE_OPERATIONS,
  type SourceField,
  WRITE_SCOPE_FROM_SOURCE,
} from '../../support/source-document';

type Schema = Record<string, unknown>;
const doc = OPENAPI_DOCUMENT as Schema;
const asSchema = (value: unknown): Schema => (value ?? {}) as Schema;
const components = asSchema(asSchema(doc.components).schemas);

function resolve(schema: Schema): Schema {
  const ref = schema.$ref;
  if (typeof ref !== 'string') return schema;
  const name = ref.replace('#/components/schemas/', '');
  const target = components[name];
  expect(target, `component ${name}`).to.not.equal(undefined);
  return asSchema(target);
}

/** The property schema at a source-document path, and the object schema that holds it. */
function propertyAt(rootDto: string, path: string): { parent: Schema; property: Schema; name: string } {
  let parent = asSchema(components[rootDto]);
  const names = path.split('.');
  for (const name of names.slice(0, -1)) parent = resolve(asSchema(asSchema(parent.properties)[name]));
  const name = names[names.length - 1] as string;
  const property = asSchema(asSchema(parent.properties)[name]);
  expect(Object.keys(property), `${path} is in the document`).to.not.have.length(0);
  return { parent, property, name };
}

const typesOf = (schema: Schema): unknown[] => (Array.isArray(schema.type) ? schema.type : [schema.type]);

function isNullable(schema: Schema): boolean {
  if (typesOf(schema).includes('null')) return true;
  return Array.isArray(schema.oneOf) && schema.oneOf.some((s) => asSchema(s).type === 'null');
}

function expectType(field: SourceField, property: Schema): void {
  const types = typesOf(property);
  if (isCodeListType(field.type)) {
    expect(property['x-codeList']).to.equal(field.type);
    expect(property.oneOf).to.deep.include({ type: 'integer', minimum: 0, maximum: 10_000_000 });
    expect(property.oneOf).to.deep.include({ type: 'string', pattern: CODE_STRING_PATTERN });
    return;
  }
  switch (field.type) {
    case 'object':
      expect(property.$ref).to.equal(`#/components/schemas/${field.dto}`);
      expect(resolve(property).type).to.equal('object');
      return;
    case 'uuid':
      expect(types).to.include('string');
      expect(property.format).to.equal('uuid');
      return;
    case 'date-time':
      // RFC 3339's format requires an offset; the contract's date-time does not (openapi.ts).
      expect(types).to.include('string');
      expect(property.pattern).to.equal(DATE_TIME_SCHEMA_PATTERN);
      return;
    case 'string':
      expect(types).to.include('string');
      expect(property.format).to.equal(undefined);
      return;
    case 'boolean':
      expect(types).to.include('boolean');
      return;
    case 'stringCollection':
      expect(property.type).to.equal('array');
      expect(property.items).to.deep.equal({ type: 'string', pattern: STORABLE_STRING_PATTERN });
      return;
    case 'uuidCollection':
      expect(property.type).to.equal('array');
      expect(property.items).to.deep.equal({ type: 'string', format: 'uuid', pattern: UUID_PATTERN_TEXT });
      return;
    default:
      throw new Error(`the oracle has a type the test does not know: ${field.type}`);
  }
}

/** Every property path in the document below a component, following $refs. */
function documentedPaths(schema: Schema, prefix: string): string[] {
  return Object.entries(asSchema(schema.properties)).flatMap(([name, property]) => {
    const path = prefix === '' ? name : `${prefix}.${name}`;
    const p = asSchema(property);
    return [path, ...(p.$ref !== undefined ? documentedPaths(resolve(p), path) : [])];
  });
}

describe('adapters/http/openapi', () => {
  it('is OpenAPI 3.1', () => {
    expect(doc.openapi).to.equal('3.1.0');
  });

  it('names the component schemas as the source document does', () => {
    expect(Object.keys(components)).to.include.members([
      'SendOrdningsnotifikationRequestDto',
      'OrdningsNotifikationDto',
      'CaseNotificationWebServiceMessageBodyDto',
      'DispatchGdprDeletedNotificationRequestDto',
      'GdprSlettetNotifikationDto',
      'GdprDeletedNotificationWebserviceMessageBodyDto',
      'Problem',
    ]);
  });

  for (const source of SOURCE_OPERATIONS) {
    describe(`POST ${source.path}`, () => {
      const operation = asSchema(asSchema(asSchema(doc.paths)[source.path]).post);
      const json = asSchema(asSchema(asSchema(operation.requestBody).content)['application/json']);

      it('exists, takes the request DTO as a required JSON body and requires the write scope', () => {
        expect(asSchema(operation.requestBody).required).to.equal(true);
        expect(json.schema).to.deep.equal({ $ref: `#/components/schemas/${source.requestDto}` });
        expect(operation.security).to.deep.equal([{ bearer: [WRITE_SCOPE_FROM_SOURCE] }]);
        expect(operation.summary).to.equal('Skriver en wsb til RabbitMQ');
      });

      it('requires the x-requestId header, 1 to 46 characters, with the gateway’s character rule', () => {
        const [ref] = operation.parameters as Schema[];
        const name = String(asSchema(ref).$ref).replace('#/components/parameters/', '');
        const parameter = asSchema(asSchema(asSchema(doc.components).parameters)[name]);
        expect(parameter).to.include({ name: 'x-requestId', in: 'header', required: true });
        expect(parameter.schema).to.include({
          type: 'string',
          minLength: 1,
          maxLength: REQUEST_ID_MAX_LENGTH_FROM_SOURCE,
        });
        // Which characters, exactly, the property test compares with the gateway's check.
        expect(asSchema(parameter.schema).pattern).to.be.a('string');
        expect(parameter.description).to.match(/412/);
      });

      it('answers 200 with no body, and every error as application/problem+json', () => {
        const responses = asSchema(operation.responses);
        expect(Object.keys(responses)).to.have.members([
          '200',
          '400',
          '401',
          '403',
          '412',
          '413',
          '415',
          '503',
        ]);
        expect(asSchema(responses['200']).content).to.equal(undefined);
        for (const status of ['400', '401', '403', '412', '413', '415', '503']) {
          expect(asSchema(responses[status]).content, status).to.deep.equal({
            'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } },
          });
        }
        expect(asSchema(asSchema(responses['401']).headers)).to.have.property('WWW-Authenticate');
        expect(asSchema(asSchema(responses['503']).headers)).to.have.property('Retry-After');
      });

      for (const field of source.fields) {
        it(`documents ${field.path}: ${field.type}${field.minLength ? ', MinLength 1' : ''}, ${field.required ? '1' : '0 - 1'}`, () => {
          const { parent, property, name } = propertyAt(source.requestDto, field.path);
          expectType(field, property);
          expect(property.minLength).to.equal(field.minLength);
          expect((parent.required as string[]).includes(name), 'required').to.equal(field.required);
          expect(isNullable(property), 'nullable').to.equal(!field.required);
          if (field.type !== 'object' && !isCodeListType(field.type)) {
            expect(property.description, 'the source document’s description')
              .to.be.a('string')
              .with.length.above(0);
          }
        });
      }

      it('documents no property the source document does not have', () => {
        expect(documentedPaths(asSchema(components[source.requestDto]), '')).to.have.members(
          source.fields.map((f) => f.path),
        );
      });

      it('has examples that pass the codec', () => {
        const examples = Object.values(asSchema(json.examples));
        expect(examples).to.not.have.length(0);
        for (const example of examples) {
          const decoded = decodeNotification(source.kind, asSchema(example).value);
          expect(isRight(decoded), JSON.stringify(decoded)).to.equal(true);
        }
      });
    });
  }

  it('describes the problem document', () => {
    const problem = asSchema(components.Problem);
    expect(Object.keys(asSchema(problem.properties))).to.have.members([
      'type',
      'title',
      'status',
      'detail',
      'fejlkode',
      'fejltekst',
      'requestId',
      'errors',
    ]);
    const violation = asSchema(asSchema(asSchema(problem.properties).errors).items);
    expect(Object.keys(asSchema(violation.properties))).to.have.members(['path', 'fejlkode', 'message']);
    expect(asSchema(asSchema(violation.properties).fejlkode).enum).to.deep.equal([1014, 2002, 2003]);
  });

  it('declares bearer security', () => {
    const schemes = asSchema(asSchema(doc.components).securitySchemes);
    expect(schemes.bearer).to.include({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  });

  describe('the docs page', () => {
    const html = renderDocumentation(OPENAPI_DOCUMENT);

    it('is self-contained: no script and no external resource', () => {
      expect(html).to.not.match(/<script/i);
      expect(html).to.not.match(/<link/i);
      expect(html).to.not.match(/(src|href)="https?:/i);
    });

    it('shows every schema and every field with its Danish description', () => {
      for (const name of Object.keys(components)) expect(html).to.include(`id="${name}"`);
      for (const source of SOURCE_OPERATIONS) {
        for (const field of source.fields)
          expect(html).to.include(`<code>${field.path.split('.').pop()}</code>`);
      }
      expect(html).to.include('Jobcenterkode på det jobcenter som ejer entiteten');
      expect(html).to.include('MinLength: 1');
      expect(html).to.include('JobtilbudTypeCodeList');
    });
  });

  describe('served by the intake app', () => {
    let intake: RunningIntake;
    // No token is ever valid: the documentation must not need one.
    const refuseEveryone: Authenticator = {
      authenticate: () => Promise.resolve({ _tag: 'Unauthenticated', reason: 'test' }),
    };

    before(async () => {
      intake = await startIntake({
        unitOfWork: new InMemoryOutbox().unitOfWork,
        authenticator: refuseEveryone,
      });
    });
    after(async () => {
      await intake.close();
    });

    it('GET /openapi.json answers 200 with the document, without a token', async () => {
      const response = await fetch(`${intake.baseUrl}/openapi.json`);
      expect(response.status).to.equal(200);
      expect(response.headers.get('content-type')).to.match(/^application\/json/);
      expect(await response.json()).to.deep.equal(OPENAPI_DOCUMENT);
    });

    it('GET /docs answers 200 with the HTML page, without a token', async () => {
      const response = await fetch(`${intake.baseUrl}/docs`);
      expect(response.status).to.equal(200);
      expect(response.headers.get('content-type')).to.match(/^text\/html/);
      expect(response.headers.get('content-security-policy')).to.include("default-src 'none'");
      expect(await response.text()).to.include('SendOrdningsnotifikationRequestDto');
    });

    it('still refuses the API itself without a valid token', async () => {
      const response = await post(intake.baseUrl, ORDNINGS_PATH, { requestId: 'docs-1', body: {} });
      expect(response.status).to.equal(401);
    });
  });
});
