import { expect } from 'chai';
import { isLeft, isRight } from 'fp-ts/lib/Either';
import type { Violation } from '../../../src/domain/errors';
import {
  CODE_LIST_OF_FIELD,
  type DecodedNotification,
  decodeNotification,
  type MessageKind,
  routingKeyFor,
} from '../../../src/domain/notification';
import { parseDateTime } from '../../../src/domain/primitives';
import { FICTITIOUS_CPR, gdprSlettetNotifikation, ordningsnotifikation } from '../../support/fixtures';
import {
  atPath,
  isCodeListType,
  SEND_GDPR_SLETTET_NOTIFIKATION,
  SEND_ORDNINGSNOTIFIKATION,
  SOURCE_OPERATIONS,
  type SourceType,
  withPath,
} from '../../support/source-document';

function violationsOf(kind: MessageKind, body: unknown): Violation[] {
  const result = decodeNotification(kind, body);
  return isLeft(result) ? result.left : [];
}

function accepted(kind: MessageKind, body: unknown): DecodedNotification {
  const result = decodeNotification(kind, body);
  if (isLeft(result)) throw new Error(`expected acceptance, got ${JSON.stringify(result.left)}`);
  return result.right;
}

function expectOnlyViolationAt(kind: MessageKind, body: unknown, path: string): Violation {
  const violations = violationsOf(kind, body);
  expect(violations.map((v) => v.path)).to.deep.equal([path]);
  const [violation] = violations as [Violation];
  expect(violation.fejlkode).to.equal(1014);
  return violation;
}

const validBody = (kind: MessageKind): unknown =>
  kind === 'Ordningsnotifikation' ? ordningsnotifikation() : gdprSlettetNotifikation();

/** Values of the wrong type for each source-document type (null is tested separately). */
const WRONG_VALUES: Record<
  'uuid' | 'string' | 'boolean' | 'date-time' | 'object' | 'code' | 'collection',
  unknown[]
> = {
  string: [42, true, {}, ['a']],
  uuid: [42, 'not-a-uuid', '', {}, true],
  boolean: ['true', 'false', 1, 0, {}, []],
  'date-time': [20250301, 'garbage', '', {}, true],
  object: ['text', 42, [], true],
  code: [1.5, -1, '12a', true, {}, [], '', 10_000_001],
  collection: [{}, 'text', 42, true],
};

function wrongValuesFor(type: SourceType): unknown[] {
  if (isCodeListType(type)) return WRONG_VALUES.code;
  if (type === 'stringCollection' || type === 'uuidCollection') return WRONG_VALUES.collection;
  return WRONG_VALUES[type as 'uuid' | 'string' | 'boolean' | 'date-time' | 'object'];
}

describe('domain/notification', () => {
  for (const operation of SOURCE_OPERATIONS) {
    const { kind } = operation;
    const valid = validBody(kind);

    describe(`${operation.requestDto} (${kind})`, () => {
      it('accepts the complete fictitious fixture', () => {
        expect(violationsOf(kind, valid)).to.deep.equal([]);
      });

      describe('a required field missing is reported at its exact path with fejlkode 1014', () => {
        for (const field of operation.fields.filter((f) => f.required)) {
          it(`${field.path} missing`, () => {
            const violation = expectOnlyViolationAt(kind, withPath(valid, field.path, undefined), field.path);
            expect(violation.message).to.equal('is required');
          });
          it(`${field.path} null`, () => {
            expectOnlyViolationAt(kind, withPath(valid, field.path, null), field.path);
          });
        }
      });

      describe('a value of the wrong type is reported at its exact path', () => {
        for (const field of operation.fields) {
          for (const wrong of wrongValuesFor(field.type)) {
            it(`${field.path} = ${JSON.stringify(wrong)} (${field.type}, ${field.required ? 'required' : 'optional'})`, () => {
              expectOnlyViolationAt(kind, withPath(valid, field.path, wrong), field.path);
            });
          }
        }
      });

      describe('MinLength: 1 fields refuse the empty string', () => {
        for (const field of operation.fields.filter((f) => f.minLength === 1)) {
          it(`${field.path} = ""`, () => {
            expectOnlyViolationAt(kind, withPath(valid, field.path, ''), field.path);
          });
          it(`${field.path} = " " (one character) is accepted`, () => {
            expect(violationsOf(kind, withPath(valid, field.path, ' '))).to.deep.equal([]);
          });
        }
      });

      describe('string fields without MinLength accept the empty string', () => {
        for (const field of operation.fields.filter(
          (f) => f.type === 'string' && f.minLength === undefined,
        )) {
          it(`${field.path} = ""`, () => {
            expect(violationsOf(kind, withPath(valid, field.path, ''))).to.deep.equal([]);
          });
        }
      });

      describe('optional (0 - 1) fields may be absent or null', () => {
        for (const field of operation.fields.filter((f) => !f.required)) {
          it(`${field.path} absent is accepted and stays absent in the payload`, () => {
            const notification = accepted(kind, withPath(valid, field.path, undefined));
            expect(atPath(notification.payload, field.path)).to.equal(undefined);
            expect(notification.payload).to.not.have.nested.property(field.path);
          });
          it(`${field.path} null is accepted`, () => {
            const notification = accepted(kind, withPath(valid, field.path, null));
            expect(atPath(notification.payload, field.path)).to.equal(null);
          });
        }
      });

      it('reports every violation at once, across levels', () => {
        const fields = operation.fields.filter((f) => f.type !== 'object');
        let body = valid;
        for (const field of fields) body = withPath(body, field.path, { wrong: true });
        const paths = violationsOf(kind, body).map((v) => v.path);
        expect(paths).to.have.members(fields.map((f) => f.path));
      });

      it('reports a wrong root as one violation at (body)', () => {
        for (const root of [null, [], 'text', 42]) {
          expect(violationsOf(kind, root)).to.deep.equal([
            { path: '(body)', fejlkode: 1014, message: 'must be an object' },
          ]);
        }
        const rootProperty = operation.fields[0]?.path ?? '';
        expect(violationsOf(kind, {}).map((v) => v.path)).to.deep.equal([rootProperty]);
      });

      it('refuses the other endpoint’s body', () => {
        const other = validBody(
          kind === 'Ordningsnotifikation' ? 'GdprSlettetNotifikation' : 'Ordningsnotifikation',
        );
        expect(violationsOf(kind, other).map((v) => v.path)).to.deep.equal([operation.fields[0]?.path]);
      });

      it('drops unknown properties at the root, the envelope and the body', () => {
        const root = operation.fields[0]?.path ?? '';
        let body = withPath(valid, 'ukendtRod', 'x');
        body = withPath(body, `${root}.ukendtKuvert`, { nested: 1 });
        body = withPath(body, `${root}.body.ukendtFelt`, [1, 2]);
        const notification = accepted(kind, body);
        expect(notification.payload).to.deep.equal(accepted(kind, valid).payload);
        expect(JSON.stringify(notification.payload)).to.not.match(/ukendt/);
      });

      it('maps every code-list field of the source document to its list', () => {
        for (const field of operation.fields.filter((f) => isCodeListType(f.type))) {
          const name = field.path.split('.').pop() as keyof typeof CODE_LIST_OF_FIELD;
          expect(CODE_LIST_OF_FIELD[name], field.path).to.equal(field.type);
        }
      });
    });
  }

  describe('collections (GdprDeletedNotificationWebserviceMessageBodyDto)', () => {
    const kind = 'GdprSlettetNotifikation';
    const body = 'gdprSlettetNotifikation.body';

    it('accepts empty cprNumre and slettedeExternalIdentifiers and keeps them as []', () => {
      let request = withPath(gdprSlettetNotifikation(), `${body}.cprNumre`, []);
      request = withPath(request, `${body}.slettedeExternalIdentifiers`, []);
      const notification = accepted(kind, request);
      expect(atPath(notification.payload, `${body}.cprNumre`)).to.deep.equal([]);
      expect(atPath(notification.payload, `${body}.slettedeExternalIdentifiers`)).to.deep.equal([]);
    });

    it('reports a bad element with its index path', () => {
      const request = gdprSlettetNotifikation(
        {},
        {
          cprNumre: [FICTITIOUS_CPR, 101010000, FICTITIOUS_CPR, null],
          slettedeExternalIdentifiers: ['3f2b8a4e-1c2d-4e5f-9a8b-7c6d5e4f3a2b', 'not-a-uuid'],
        },
      );
      expect(violationsOf(kind, request).map((v) => v.path)).to.deep.equal([
        `${body}.cprNumre[1]`,
        `${body}.cprNumre[3]`,
        `${body}.slettedeExternalIdentifiers[1]`,
      ]);
    });

    it('accepts many elements, in order', () => {
      const ids = Array.from(
        { length: 50 },
        (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      );
      const notification = accepted(kind, gdprSlettetNotifikation({}, { slettedeExternalIdentifiers: ids }));
      expect(atPath(notification.payload, `${body}.slettedeExternalIdentifiers`)).to.deep.equal(ids);
    });
  });

  describe('uuid', () => {
    const kind = 'Ordningsnotifikation';
    const path = 'ordningsnotifikation.eksternIdentifier';
    const good = [
      '3F2B8A4E-1C2D-4E5F-9A8B-7C6D5E4F3A2B', // upper case
      '3f2b8a4e-1C2D-4e5f-9A8B-7c6d5e4f3a2b', // mixed case
      '00000000-0000-0000-0000-000000000000', // nil
      'ffffffff-ffff-ffff-ffff-ffffffffffff', // max
      '6ba7b810-9dad-11d1-80b4-00c04fd430c8', // version 1
      '6fa459ea-ee8a-3ca4-894e-db77e160355e', // version 3
      '886313e1-3b8a-5372-9b90-0c9aee199e5d', // version 5
      '0190b5a4-8e2c-7cc1-9d3e-3b8a4c2f1e00', // version 7
      '3f2b8a4e-1c2d-0e5f-1a8b-7c6d5e4f3a2b', // no valid version or variant nibble: still RFC 4122 text form
    ];
    for (const uuid of good) {
      it(`accepts ${uuid} and keeps it as sent`, () => {
        const notification = accepted(kind, withPath(ordningsnotifikation(), path, uuid));
        expect(atPath(notification.payload, path)).to.equal(uuid);
        expect(notification.envelope.eksternIdentifier).to.equal(uuid);
      });
    }
    const bad = [
      '3f2b8a4e1c2d4e5f9a8b7c6d5e4f3a2b', // no hyphens
      '{3f2b8a4e-1c2d-4e5f-9a8b-7c6d5e4f3a2b}', // braces
      'urn:uuid:3f2b8a4e-1c2d-4e5f-9a8b-7c6d5e4f3a2b',
      '3f2b8a4e-1c2d-4e5f-9a8b-7c6d5e4f3a2', // one short
      '3f2b8a4e-1c2d-4e5f-9a8b-7c6d5e4f3a2b0', // one long
      '3f2b8a4e-1c2d-4e5f-9a8b-7c6d5e4f3a2g', // not hex
      ' 3f2b8a4e-1c2d-4e5f-9a8b-7c6d5e4f3a2b',
      '3f2b8a4e-1c2d-4e5f-9a8b-7c6d5e4f3a2b\n',
      '3f2b8a4e-1c2d4-e5f-9a8b-7c6d5e4f3a2b', // hyphen misplaced
    ];
    for (const uuid of bad) {
      it(`refuses ${JSON.stringify(uuid)}`, () => {
        const violation = expectOnlyViolationAt(kind, withPath(ordningsnotifikation(), path, uuid), path);
        expect(violation.message).to.equal('must be a uuid in RFC 4122 text form');
      });
    }
    it('checks uuids in slettedeExternalIdentifiers the same way', () => {
      const request = gdprSlettetNotifikation(
        {},
        { slettedeExternalIdentifiers: [good[0], good[7], bad[0]] },
      );
      expect(violationsOf('GdprSlettetNotifikation', request).map((v) => v.path)).to.deep.equal([
        'gdprSlettetNotifikation.body.slettedeExternalIdentifiers[2]',
      ]);
    });
  });

  describe('date-time', () => {
    const instants: Array<[string, string, string]> = [
      ['2025-03-01T10:15:30Z', '2025-03-01T10:15:30.000Z', 'Z'],
      ['2025-03-01T10:15:30z', '2025-03-01T10:15:30.000Z', 'lower-case z'],
      ['2025-03-01T10:15:30+01:00', '2025-03-01T09:15:30.000Z', 'positive offset'],
      ['2025-03-01T10:15:30-02:30', '2025-03-01T12:45:30.000Z', 'negative offset with minutes'],
      ['2025-03-01T10:15:30+0100', '2025-03-01T09:15:30.000Z', 'offset without colon'],
      ['2025-03-01T00:30:00+02:00', '2025-02-28T22:30:00.000Z', 'offset crossing a month'],
      ['2025-01-15T12:00:00', '2025-01-15T11:00:00.000Z', 'no offset, winter: CET (+01:00)'],
      ['2025-07-01T12:00:00', '2025-07-01T10:00:00.000Z', 'no offset, summer: CEST (+02:00)'],
      ['2025-12-31T23:30:00', '2025-12-31T22:30:00.000Z', 'no offset, crossing the year in UTC'],
      ['2025-03-30T01:59:59', '2025-03-30T00:59:59.000Z', 'no offset, just before the spring change'],
      ['2025-03-30T03:00:00', '2025-03-30T01:00:00.000Z', 'no offset, just after the spring change'],
      ['2025-03-30T02:30:00', '2025-03-30T01:30:00.000Z', 'no offset, in the spring gap: moved forward'],
      ['2025-10-26T02:30:00', '2025-10-26T01:30:00.000Z', 'no offset, in the autumn overlap: the later'],
      ['2025-10-26T01:59:59', '2025-10-25T23:59:59.000Z', 'no offset, before the autumn overlap'],
      ['2025-10-26T03:00:00', '2025-10-26T02:00:00.000Z', 'no offset, after the autumn overlap'],
      ['2024-02-29T12:00:00Z', '2024-02-29T12:00:00.000Z', 'leap day'],
      ['2025-03-01T10:15Z', '2025-03-01T10:15:00.000Z', 'without seconds'],
      ['2025-03-01T10:15:30.5Z', '2025-03-01T10:15:30.500Z', 'one fraction digit'],
      ['2025-03-01T10:15:30.123Z', '2025-03-01T10:15:30.123Z', 'three fraction digits'],
      ['2025-03-01T10:15:30.1234567Z', '2025-03-01T10:15:30.123Z', 'seven fraction digits (.NET)'],
      ['2025-03-01T10:15:30.1234567', '2025-03-01T09:15:30.123Z', 'seven fraction digits, no offset'],
      ['1950-06-01T12:00:00.500', '1950-06-01T11:00:00.500Z', 'no offset, before 1970, with a fraction'],
      ['2025-03-01T10:15:30.1234567+01:00', '2025-03-01T09:15:30.123Z', 'seven fraction digits, offset'],
      ['2025-03-01T10:15:30.123456789Z', '2025-03-01T10:15:30.123Z', 'nine fraction digits'],
      ['2025-03-01T10:15:30.999999999999Z', '2025-03-01T10:15:30.999Z', 'twelve fraction digits'],
      ['2025-03-01T10:15:59.99999999999999999999Z', '2025-03-01T10:15:59.999Z', 'twenty nines: truncated'],
      ['2025-03-01T10:15:30,25Z', '2025-03-01T10:15:30.250Z', 'decimal comma'],
      ['0050-06-15T12:00:00Z', '0050-06-15T12:00:00.000Z', 'a year below 100 is not read as 19xx'],
      ['0004-02-29T00:00:00Z', '0004-02-29T00:00:00.000Z', 'leap day of year 4'],
      ['2016-12-31T23:59:60Z', '2017-01-01T00:00:00.000Z', 'leap second (RFC 3339): the next minute starts'],
      ['2016-12-31T23:59:60.5Z', '2017-01-01T00:00:00.000Z', 'leap second with a fraction'],
      ['2017-01-01T00:59:60+01:00', '2017-01-01T00:00:00.000Z', 'leap second in another offset'],
    ];
    it('reads every date-time without an offset the same again, in any order (offsets are remembered per hour)', () => {
      const local = instants.filter(([text]) => !/(?:[Zz]|[+-]\d{2}:?\d{2})$/.test(text));
      expect(local.length).to.be.greaterThan(10);
      for (const [text, instant] of [...local, ...[...local].reverse(), ...local]) {
        expect(parseDateTime(text)?.toISOString(), text).to.equal(instant);
      }
    });
    for (const [text, instant, what] of instants) {
      it(`${what}: ${text} is ${instant}`, () => {
        expect(parseDateTime(text)?.toISOString()).to.equal(instant);
        const path = 'ordningsnotifikation.registreringsDato';
        const notification = accepted('Ordningsnotifikation', withPath(ordningsnotifikation(), path, text));
        expect(atPath(notification.payload, path), 'the payload keeps the text as sent').to.equal(text);
      });
    }

    const invalid: Array<[string, string]> = [
      ['2025-02-30T10:00:00Z', 'February 30'],
      ['2025-02-29T10:00:00Z', 'February 29 in a common year'],
      ['2025-04-31T10:00:00Z', 'April 31'],
      ['2025-13-01T10:00:00Z', 'month 13'],
      ['2025-00-10T10:00:00Z', 'month 0'],
      ['2025-01-00T10:00:00Z', 'day 0'],
      ['2025-01-15T24:00:00Z', 'hour 24'],
      ['2025-01-15T12:60:00Z', 'minute 60'],
      ['2025-01-15T12:00:61Z', 'second 61'],
      ['2025-01-15T12:00:00+24:00', 'offset hour 24'],
      ['2025-01-15T12:00:00+01:60', 'offset minute 60'],
      ['2025-01-15', 'a date without a time'],
      ['12:00:00', 'a time without a date'],
      ['2025-1-15T12:00:00Z', 'one-digit month'],
      ['2025-01-15T12:00:00.Z', 'a dot without fraction digits'],
      ['2025-01-15T12:00:00ZZ', 'two zones'],
      ['2025-01-15T12:00:00 CET', 'a zone name'],
      ['15-01-2025 12:00', 'Danish day-month-year'],
      ['1736942400', 'epoch seconds as text'],
      ['garbage', 'garbage'],
      ['', 'empty'],
    ];
    for (const [text, what] of invalid) {
      it(`refuses ${what}: ${JSON.stringify(text)}`, () => {
        expect(parseDateTime(text)).to.equal(undefined);
        const path = 'gdprSlettetNotifikation.registreringsDato';
        const violation = expectOnlyViolationAt(
          'GdprSlettetNotifikation',
          withPath(gdprSlettetNotifikation(), path, text),
          path,
        );
        expect(violation.message).to.equal('must be an ISO 8601 date-time');
      });
    }
  });

  describe('code values', () => {
    const kind = 'Ordningsnotifikation';
    const required = 'ordningsnotifikation.body.virksomhedsordningSkabelon';
    const optional = 'ordningsnotifikation.body.jobtilbud';

    const good: Array<[unknown, number]> = [
      [0, 0],
      [7, 7],
      [10_000_000, 10_000_000],
      ['42', 42],
      ['0042', 42],
      ['0', 0],
      ['10000000', 10_000_000],
    ];
    for (const [value, code] of good) {
      for (const path of [required, optional]) {
        it(`accepts ${JSON.stringify(value)} at ${path} as the integer ${code}`, () => {
          const notification = accepted(kind, withPath(ordningsnotifikation(), path, value));
          expect(atPath(notification.payload, path)).to.equal(code);
          const field = path.split('.').pop();
          expect(notification.codes.find((c) => c.field === field)).to.deep.equal({ path, field, code });
        });
      }
    }

    const bad: unknown[] = [
      -1,
      '-1',
      10_000_001,
      '10000001',
      '123456789',
      1.5,
      '1.5',
      '12a',
      ' 12',
      '12 ',
      '',
      '1e3',
      true,
      {},
      [1],
    ];
    for (const value of bad) {
      for (const path of [required, optional]) {
        it(`refuses ${JSON.stringify(value)} at ${path}`, () => {
          const violation = expectOnlyViolationAt(kind, withPath(ordningsnotifikation(), path, value), path);
          expect(violation.message).to.match(/^must be a code-list code/);
        });
      }
    }

    it('lists only the codes present, with their paths', () => {
      const request = ordningsnotifikation(
        {},
        { jobtilbud: null, myndighedsomraade: undefined, ansoegningStatus: '9' },
      );
      const notification = accepted(kind, JSON.parse(JSON.stringify(request)));
      expect(notification.codes.map((c) => c.field)).to.deep.equal([
        'virksomhedsordningSkabelon',
        'virksomhedsordningSubskabelon',
        'ansoegningStatus',
        'bevillingsstatus',
      ]);
      expect(notification.codes.find((c) => c.field === 'ansoegningStatus')?.code).to.equal(9);
    });

    it('normalises a digit string in the GDPR body too', () => {
      const path = 'gdprSlettetNotifikation.body.virksomhedsordningSkabelon';
      const notification = accepted(
        'GdprSlettetNotifikation',
        withPath(gdprSlettetNotifikation(), path, '3'),
      );
      expect(atPath(notification.payload, path)).to.equal(3);
      expect(notification.codes).to.deep.equal([{ path, field: 'virksomhedsordningSkabelon', code: 3 }]);
    });
  });

  describe('what a decoded notification carries', () => {
    it('Ordningsnotifikation: envelope, aendringstype from erOprettelse, routing key', () => {
      const created = accepted('Ordningsnotifikation', ordningsnotifikation());
      expect(created.kind).to.equal('Ordningsnotifikation');
      expect(created.rootProperty).to.equal('ordningsnotifikation');
      expect(created.aendringstype).to.equal('Oprettelse');
      expect(created.envelope.jobCenterKode).to.equal('10101');
      expect(created.envelope.registreringsDato).to.equal('2025-03-01T10:15:30+01:00');
      const edited = accepted('Ordningsnotifikation', ordningsnotifikation({ erOprettelse: false }));
      expect(edited.aendringstype).to.equal('Opdatering');
      expect(routingKeyFor('Ordningsnotifikation', '10101')).to.equal('ordningsnotifikation.10101');
    });

    it('GdprSlettetNotifikation: aendringstype Sletning, routing key', () => {
      const deleted = accepted('GdprSlettetNotifikation', gdprSlettetNotifikation());
      expect(deleted.rootProperty).to.equal('gdprSlettetNotifikation');
      expect(deleted.aendringstype).to.equal('Sletning');
      expect(routingKeyFor('GdprSlettetNotifikation', '10101')).to.equal('gdprslettetnotifikation.10101');
    });

    it('the payload of a complete request equals the request', () => {
      for (const operation of SOURCE_OPERATIONS) {
        const body = validBody(operation.kind);
        expect(accepted(operation.kind, body).payload).to.deep.equal(body);
      }
    });
  });

  describe('messages never contain the offending value', () => {
    // A fictitious CPR-like value, in places where it does not belong.
    const CPR_LIKE = '0101011234';
    const digits = /0?101011234/;

    it('Ordningsnotifikation', () => {
      const o = 'ordningsnotifikation';
      let body: unknown = ordningsnotifikation();
      for (const [path, value] of [
        [`${o}.eksternIdentifier`, CPR_LIKE],
        [`${o}.jobCenterKode`, Number(CPR_LIKE)],
        [`${o}.erOprettelse`, CPR_LIKE],
        [`${o}.registreringsDato`, CPR_LIKE],
        [`${o}.body.jobtilbud`, CPR_LIKE],
        [`${o}.body.virksomhedsordningSkabelon`, Number(CPR_LIKE)],
        [`${o}.body.cvrNummer`, { cpr: CPR_LIKE }],
        [`${o}.body.cprNummer`, Number(CPR_LIKE)],
        [`${o}.body.vitasDybtLink`, [CPR_LIKE]],
      ] as const)
        body = withPath(body, path, value);
      const violations = violationsOf('Ordningsnotifikation', body);
      expect(violations).to.have.length(9);
      expect(JSON.stringify(violations)).to.not.match(digits);
    });

    it('GdprSlettetNotifikation', () => {
      const body = gdprSlettetNotifikation(
        { eksternIdentifier: CPR_LIKE, jobCenterKode: '' },
        {
          vitasSagsId: Number(CPR_LIKE),
          cprNumre: [Number(CPR_LIKE)],
          slettedeExternalIdentifiers: [CPR_LIKE],
          virksomhedsordningSkabelon: `${CPR_LIKE}x`,
        },
      );
      const violations = violationsOf('GdprSlettetNotifikation', body);
      expect(violations).to.have.length(6);
      expect(JSON.stringify(violations)).to.not.match(digits);
    });
  });

  describe('strings PostgreSQL cannot store are refused, at their JSON path', () => {
    const unstorable: Array<[string, string]> = [
      ['8765\u00004321', 'U+0000'],
      ['\ud800', 'a lone high surrogate'],
      ['x\udc00', 'a lone low surrogate'],
      ['\udc00\ud800', 'surrogates in the wrong order'],
    ];
    const ordningsPaths = [
      'ordningsnotifikation.jobCenterKode',
      'ordningsnotifikation.body.cvrNummer',
      'ordningsnotifikation.body.vitasDybtLink',
      'ordningsnotifikation.body.ansvarligMedarbejderEmail',
      'ordningsnotifikation.body.pNummer',
      'ordningsnotifikation.body.cprNummer',
    ];
    for (const [value, what] of unstorable) {
      for (const path of ordningsPaths) {
        it(`${what} in ${path}: 1014 at that path`, () => {
          const violation = expectOnlyViolationAt(
            'Ordningsnotifikation',
            withPath(ordningsnotifikation(), path, value),
            path,
          );
          expect(violation.message).to.match(/U\+0000/);
        });
      }
      it(`${what} in gdprSlettetNotifikation.body.vitasSagsId and cprNumre[1]`, () => {
        expectOnlyViolationAt(
          'GdprSlettetNotifikation',
          withPath(gdprSlettetNotifikation(), 'gdprSlettetNotifikation.body.vitasSagsId', value),
          'gdprSlettetNotifikation.body.vitasSagsId',
        );
        expectOnlyViolationAt(
          'GdprSlettetNotifikation',
          withPath(gdprSlettetNotifikation(), 'gdprSlettetNotifikation.body.cprNumre', [
            FICTITIOUS_CPR,
            value,
          ]),
          'gdprSlettetNotifikation.body.cprNumre[1]',
        );
      });
    }
    it('accepts a paired surrogate (an emoji) and other non-ASCII text', () => {
      const notification = accepted(
        'Ordningsnotifikation',
        withPath(
          ordningsnotifikation(),
          'ordningsnotifikation.body.vitasDybtLink',
          'https://vitas.example/sø/😀',
        ),
      );
      expect(atPath(notification.payload, 'ordningsnotifikation.body.vitasDybtLink')).to.equal(
        'https://vitas.example/sø/😀',
      );
    });
  });

  it('the oracle covers every field of both DTOs', () => {
    expect(SEND_ORDNINGSNOTIFIKATION.fields).to.have.length(17);
    expect(SEND_GDPR_SLETTET_NOTIFIKATION.fields).to.have.length(9);
    expect(isRight(decodeNotification('Ordningsnotifikation', ordningsnotifikation()))).to.equal(true);
  });
});
