import { expect } from 'chai';
import Ajv from 'ajv';
import fc from 'fast-check';
import { isRight } from 'fp-ts/lib/Either';
import type * as t from 'io-ts';
import { OPENAPI_DOCUMENT } from '../../../src/adapters/http/openapi';
import { CodeValue, DateTime, NonEmptyString, Text, Uuid } from '../../../src/domain/primitives';
import { isRequestId, parseRequestId, REQUEST_ID_HEADER } from '../../../src/domain/request-id';

/**
 * The OpenAPI document and the codecs must say the same thing about every leaf: for many
 * generated values, near misses included, ajv's verdict on the document's schema equals the
 * codec's. A schema wider than its codec (a code the gateway refuses, a date it cannot read) or
 * narrower (a valid VITAS value a client's generated validator would refuse) fails here.
 */
const { schemas: components, parameters } = (
  OPENAPI_DOCUMENT as {
    components: {
      schemas: Record<string, Record<string, unknown>>;
      parameters: Record<string, { name: string; in: string; schema: Record<string, unknown> }>;
    };
  }
).components;

/** Each request header the document describes, and the gateway's own verdict on a value of it. */
const HEADER_CHECKS: Readonly<Record<string, (value: string) => boolean>> = {
  [REQUEST_ID_HEADER]: (value) => isRequestId(parseRequestId(value)),
};

type Schema = Record<string, unknown>;
const property = (component: string, ...path: string[]): Schema => {
  let schema: Schema = components[component] ?? {};
  for (const step of path) {
    if (step === '[]') schema = schema.items as Schema;
    else schema = (schema.properties as Record<string, Schema>)[step] ?? {};
  }
  // `0 - 1` fields are `oneOf: [<leaf>, null]`: the leaf is the non-null member.
  const members = schema.oneOf as Schema[] | undefined;
  if (members !== undefined && members.some((m) => m.type === 'null')) {
    return members.find((m) => m.type !== 'null') ?? schema;
  }
  return schema;
};

const ajv = new Ajv({ strict: false, unicodeRegExp: true });
// ajv's `format: uuid` comes from ajv-formats; the pattern beside it is what decides here.
ajv.addFormat('uuid', true);

function agree(label: string, schema: Schema, codec: t.Mixed, values: fc.Arbitrary<unknown>): void {
  agreeWith(label, schema, (value) => isRight(codec.decode(value)), values);
}

function agreeWith<T>(
  label: string,
  schema: Schema,
  accepts: (value: T) => boolean,
  values: fc.Arbitrary<T>,
): void {
  const validate = ajv.compile(schema);
  fc.assert(
    fc.property(values, (value) => {
      const byDocument = validate(value);
      const byCodec = accepts(value);
      if (byDocument !== byCodec) {
        throw new Error(
          `${label}: document says ${byDocument}, codec says ${byCodec} for ${JSON.stringify(value)}`,
        );
      }
    }),
    { numRuns: 3000 },
  );
}

const digits = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });
const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** Date-times in every syntax the contract allows, around calendar edges, and near misses. */
const dateTimes = fc
  .record({
    year: fc.oneof(fc.integer({ min: 0, max: 9999 }), fc.constantFrom(1900, 2000, 2024, 2100, 2400)),
    month: fc.integer({ min: 0, max: 13 }),
    day: fc.integer({ min: 0, max: 32 }),
    hour: fc.integer({ min: 0, max: 25 }),
    minute: fc.integer({ min: 0, max: 60 }),
    second: fc.option(fc.integer({ min: 0, max: 61 })),
    fraction: fc.option(fc.tuple(fc.constantFrom('.', ','), digits(0, 9))),
    separator: fc.constantFrom('T', 't', ' ', 'x'),
    offset: fc.oneof(
      fc.constant(''),
      fc.constantFrom('Z', 'z'),
      fc
        .tuple(
          fc.constantFrom('+', '-'),
          fc.integer({ min: 0, max: 25 }),
          fc.constantFrom(':', ''),
          fc.integer({ min: 0, max: 61 }),
        )
        .map(([sign, h, colon, m]) => `${sign}${pad(h, 2)}${colon}${pad(m, 2)}`),
    ),
  })
  .map(
    (d) =>
      `${pad(d.year, 4)}-${pad(d.month, 2)}-${pad(d.day, 2)}${d.separator}${pad(d.hour, 2)}:${pad(d.minute, 2)}` +
      (d.second === null ? '' : `:${pad(d.second, 2)}${d.fraction === null ? '' : d.fraction.join('')}`) +
      d.offset,
  );

/** Strings with the characters PostgreSQL cannot store, and the ones around them. */
const texts = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({
    unit: fc.constantFrom('a', '\u0000', '\ud800', '\udc00', '\udbff', '\ue000', '\ud83d\ude00', 'ø'),
  }),
);

describe('adapters/http/openapi: the document cannot drift from the codecs', () => {
  it('code-list codes: integers and digit strings, in range and out', () => {
    const schema = property('CaseNotificationWebServiceMessageBodyDto', 'virksomhedsordningSkabelon');
    agree(
      'Code',
      schema,
      CodeValue,
      fc.oneof(
        fc.integer({ min: -10, max: 10_000_010 }),
        fc.constantFrom(10_000_000, 10_000_001, 1.5, -0),
        digits(0, 10),
        fc.constantFrom('10000000', '10000001', '18530670', '00000001', '099999999', '+1', ' 1', '1e3'),
      ),
    );
  });

  it('date-time: every syntax, calendar edges, leap days and leap seconds', () => {
    const schema = property('OrdningsNotifikationDto', 'registreringsDato');
    agree(
      'DateTime',
      schema,
      DateTime,
      fc.oneof(
        dateTimes,
        fc.constantFrom(
          '2016-12-31T23:59:60Z',
          '2016-12-31T23:58:60Z',
          '2024-02-29T00:00',
          '2023-02-29T00:00',
          '1900-02-29T00:00',
          '2000-02-29T00:00',
        ),
      ),
    );
  });

  it('uuid: any version, either case, and near misses', () => {
    const schema = property('OrdningsNotifikationDto', 'eksternIdentifier');
    agree(
      'Uuid',
      schema,
      Uuid,
      fc.oneof(
        fc.uuid({ version: [1, 2, 3, 4, 5, 7, 8] }),
        fc.uuid().map((u) => u.toUpperCase()),
        fc.uuid().map((u) => `urn:uuid:${u}`),
        fc.uuid().map((u) => u.replace(/-/g, '')),
        fc.uuid().map((u) => `{${u}}`),
        fc.string(),
      ),
    );
  });

  it('headers: every header the document describes, with the characters and lengths around its rule', () => {
    const headers = Object.values(parameters).filter((p) => p.in === 'header');
    expect(headers.map((h) => h.name).sort(), 'a header without a check here').to.deep.equal(
      Object.keys(HEADER_CHECKS).sort(),
    );
    const edge = fc.constantFrom('', ' ', '  ', '\t', '~', '\u007f', '\u0080', 'æ', '\u0000');
    const values = fc.oneof(
      fc.string({ unit: 'binary-ascii', maxLength: 60 }),
      fc.string({ unit: 'grapheme-ascii', minLength: 40, maxLength: 50 }),
      fc.string({ unit: fc.constantFrom('a', ' ', '~', '\u001f', '\u007f', 'ø', '\u00ff'), maxLength: 48 }),
      fc
        .tuple(edge, fc.string({ unit: 'grapheme-ascii', maxLength: 46 }), edge)
        .map(([a, b, c]) => a + b + c),
      fc.uuid(),
    );
    for (const header of headers) {
      const check = HEADER_CHECKS[header.name];
      if (check !== undefined) agreeWith(header.name, header.schema, check, values);
    }
  });

  it('string with MinLength 1, and plain string: U+0000 and unpaired surrogates refused', () => {
    agree(
      'NonEmptyString',
      property('CaseNotificationWebServiceMessageBodyDto', 'cvrNummer'),
      NonEmptyString,
      texts,
    );
    agree('Text', property('CaseNotificationWebServiceMessageBodyDto', 'cprNummer'), Text, texts);
    agree(
      'Text (collection item)',
      property('GdprDeletedNotificationWebserviceMessageBodyDto', 'cprNumre', '[]'),
      Text,
      texts,
    );
  });
});
