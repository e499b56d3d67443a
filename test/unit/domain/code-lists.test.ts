import { expect } from 'chai';
import {
  CodeListFileError,
  type CodeLists,
  codeListsFromFile,
  UNCHECKED_CODE_LISTS,
} from '../../../src/domain/code-lists';
import { CODE_LIST_NAMES, CODE_LIST_OF_FIELD, type CodeField } from '../../../src/domain/notification';

const PATH = 'ordningsnotifikation.body.jobtilbud';

/** A fictitious file: codes and names are invented for the test. */
function exampleFile(): unknown {
  return {
    lists: {
      JobtilbudTypeCodeList: [
        { code: 1, name: 'Eksempel – fiktiv kode 1' },
        { code: '2', name: 'Eksempel – fiktiv kode 2', validFrom: '2025-01-01', validTo: null },
        {
          code: 3,
          name: 'Eksempel – fiktiv kode 3',
          validFrom: '2025-01-01T00:00:00Z',
          validTo: '2025-07-01T00:00:00Z',
        },
        { code: 4, name: 'Eksempel – fiktiv kode 4 (udløbet)', validTo: '2024-01-01' },
      ],
      BevillingsstatusTypeCodeList: [{ code: 10, name: 'Eksempel – fiktiv status' }],
    },
  };
}

function expectFileError(content: unknown, pattern: RegExp): void {
  expect(() => codeListsFromFile(content))
    .to.throw(CodeListFileError)
    .with.property('message')
    .that.matches(pattern);
}

describe('domain/code-lists', () => {
  const now = new Date('2025-03-01T12:00:00Z');

  describe('codeListsFromFile', () => {
    it('loads a valid file and names the lists it checks, in the canonical order', () => {
      const lists = codeListsFromFile(exampleFile());
      expect(lists.loaded).to.deep.equal(['JobtilbudTypeCodeList', 'BevillingsstatusTypeCodeList']);
      expect(lists.check('jobtilbud', PATH, 1, now)).to.equal(undefined);
      expect(lists.check('jobtilbud', PATH, 2, now), 'a code given as a digit string').to.equal(undefined);
    });

    it('loads an empty file (no lists) and then checks nothing', () => {
      const lists = codeListsFromFile({ lists: {} });
      expect(lists.loaded).to.deep.equal([]);
      expect(lists.check('jobtilbud', PATH, 999, now)).to.equal(undefined);
    });

    it('reads a date-only validFrom as Danish midnight', () => {
      const lists = codeListsFromFile({
        lists: { JobtilbudTypeCodeList: [{ code: 1, name: 'Eksempel', validFrom: '2025-07-01' }] },
      });
      // 2025-07-01T00:00 in Copenhagen (CEST) is 2025-06-30T22:00Z.
      expect(lists.check('jobtilbud', PATH, 1, new Date('2025-06-30T21:59:59.999Z'))?.fejlkode).to.equal(
        2003,
      );
      expect(lists.check('jobtilbud', PATH, 1, new Date('2025-06-30T22:00:00.000Z'))).to.equal(undefined);
    });

    const invalidShapes: Array<[string, unknown, RegExp]> = [
      ['not an object', 'lists', /not valid/],
      ['null', null, /not valid/],
      ['no lists property', { JobtilbudTypeCodeList: [] }, /not valid: lists is required/],
      ['lists is an array', { lists: [] }, /not valid: lists must be an object/],
      ['a list is not an array', { lists: { JobtilbudTypeCodeList: {} } }, /lists\.JobtilbudTypeCodeList/],
      [
        'an item without a name',
        { lists: { JobtilbudTypeCodeList: [{ code: 1 }] } },
        /lists\.JobtilbudTypeCodeList\[0\]\.name is required/,
      ],
      [
        'an item without a code',
        { lists: { JobtilbudTypeCodeList: [{ name: 'x' }] } },
        /lists\.JobtilbudTypeCodeList\[0\]\.code is required/,
      ],
      [
        'a negative code',
        { lists: { JobtilbudTypeCodeList: [{ code: -1, name: 'x' }] } },
        /\[0\]\.code must be a code-list code/,
      ],
      [
        'a code out of range',
        { lists: { JobtilbudTypeCodeList: [{ code: 10_000_001, name: 'x' }] } },
        /\[0\]\.code must be a code-list code/,
      ],
      [
        'an invalid validFrom',
        { lists: { JobtilbudTypeCodeList: [{ code: 1, name: 'x', validFrom: '2025-02-30' }] } },
        /\[0\]\.validFrom/,
      ],
      [
        'an invalid validTo',
        { lists: { JobtilbudTypeCodeList: [{ code: 1, name: 'x', validTo: 20250101 }] } },
        /\[0\]\.validTo/,
      ],
    ];
    for (const [what, content, pattern] of invalidShapes) {
      it(`refuses an invalid shape: ${what}`, () => expectFileError(content, pattern));
    }

    it('reports every shape problem of a file at once', () => {
      expectFileError(
        {
          lists: {
            JobtilbudTypeCodeList: [{ code: 'x', name: 'a' }, { name: 2 }],
            BevillingsstatusTypeCodeList: [{ code: 1, name: 'b', validTo: 'never' }],
          },
        },
        /JobtilbudTypeCodeList\[0\]\.code.*JobtilbudTypeCodeList\[1\]\.code.*JobtilbudTypeCodeList\[1\]\.name.*BevillingsstatusTypeCodeList\[0\]\.validTo/,
      );
    });

    it('refuses an unknown list name and names the known ones', () => {
      expectFileError({ lists: { JobTilbudTypeCodeList: [] } }, /unknown list "JobTilbudTypeCodeList"/);
      expectFileError({ lists: { Fiktiv: [] } }, new RegExp(CODE_LIST_NAMES.join(', ')));
    });

    it('refuses a code that appears twice in one list, also as 5 and "5"', () => {
      expectFileError(
        {
          lists: {
            JobtilbudTypeCodeList: [
              { code: 5, name: 'a' },
              { code: 5, name: 'b' },
            ],
          },
        },
        /JobtilbudTypeCodeList holds code 5 twice/,
      );
      expectFileError(
        {
          lists: {
            JobtilbudTypeCodeList: [
              { code: 5, name: 'a' },
              { code: '5', name: 'b' },
            ],
          },
        },
        /holds code 5 twice/,
      );
    });

    it('allows the same code in two different lists', () => {
      const lists = codeListsFromFile({
        lists: {
          JobtilbudTypeCodeList: [{ code: 5, name: 'a' }],
          MyndighedsomraadeTypeCodeList: [{ code: 5, name: 'b' }],
        },
      });
      expect(lists.check('jobtilbud', PATH, 5, now)).to.equal(undefined);
      expect(lists.check('myndighedsomraade', PATH, 5, now)).to.equal(undefined);
    });
  });

  describe('check', () => {
    let lists: CodeLists;
    before(() => {
      lists = codeListsFromFile(exampleFile());
    });

    it('reports an unknown code as 2002 at the given path, naming the list but not the code', () => {
      const violation = lists.check('jobtilbud', PATH, 424242, now);
      expect(violation).to.deep.equal({
        path: PATH,
        fejlkode: 2002,
        message: 'is not a code in JobtilbudTypeCodeList',
      });
      expect(violation?.message).to.not.include('424242');
    });

    it('checks a code against the list of its field, not any list', () => {
      // 10 is in BevillingsstatusTypeCodeList only.
      expect(lists.check('bevillingsstatus', 'x.bevillingsstatus', 10, now)).to.equal(undefined);
      expect(lists.check('jobtilbud', PATH, 10, now)?.fejlkode).to.equal(2002);
    });

    it('has [validFrom, validTo) semantics: 2003 before validFrom and at or after validTo', () => {
      const from = new Date('2025-01-01T00:00:00Z');
      const to = new Date('2025-07-01T00:00:00Z');
      const at = (ms: number) => lists.check('jobtilbud', PATH, 3, new Date(ms));
      expect(at(from.getTime() - 1)).to.deep.equal({
        path: PATH,
        fejlkode: 2003,
        message: 'is not valid in JobtilbudTypeCodeList at the time of the request',
      });
      expect(at(from.getTime()), 'at validFrom').to.equal(undefined);
      expect(at(to.getTime() - 1), 'just before validTo').to.equal(undefined);
      expect(at(to.getTime())?.fejlkode, 'at validTo').to.equal(2003);
      expect(at(to.getTime() + 86_400_000)?.fejlkode, 'after validTo').to.equal(2003);
    });

    it('treats a missing or null bound as open', () => {
      expect(lists.check('jobtilbud', PATH, 1, new Date('1970-01-01T00:00:00Z'))).to.equal(undefined);
      expect(lists.check('jobtilbud', PATH, 1, new Date('2999-01-01T00:00:00Z'))).to.equal(undefined);
      expect(lists.check('jobtilbud', PATH, 2, new Date('2999-01-01T00:00:00Z'))).to.equal(undefined);
      expect(lists.check('jobtilbud', PATH, 2, new Date('2024-12-31T22:59:59Z'))?.fejlkode).to.equal(2003);
    });

    it('reports an expired entry as 2003', () => {
      expect(lists.check('jobtilbud', PATH, 4, now)?.fejlkode).to.equal(2003);
    });

    it('does not check lists absent from the file', () => {
      for (const field of ['myndighedsomraade', 'virksomhedsordningSkabelon', 'ansoegningStatus'] as const) {
        expect(lists.check(field, `x.${field}`, 424242, now), field).to.equal(undefined);
      }
    });

    it('refuses every code of a list loaded empty', () => {
      const empty = codeListsFromFile({ lists: { AnsoegningStatusTypeCodeList: [] } });
      expect(empty.loaded).to.deep.equal(['AnsoegningStatusTypeCodeList']);
      expect(empty.check('ansoegningStatus', 'x', 0, now)?.fejlkode).to.equal(2002);
    });
  });

  describe('UNCHECKED_CODE_LISTS', () => {
    it('loads no list and accepts every code in range for every field, at any time', () => {
      expect(UNCHECKED_CODE_LISTS.loaded).to.deep.equal([]);
      for (const field of Object.keys(CODE_LIST_OF_FIELD) as CodeField[]) {
        for (const code of [0, 1, 4711, 10_000_000]) {
          expect(UNCHECKED_CODE_LISTS.check(field, `x.${field}`, code, new Date(0))).to.equal(undefined);
        }
      }
    });
  });
});
