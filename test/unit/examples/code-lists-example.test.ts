import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { codeListsFromFile } from '../../../src/domain/code-lists';
import { CODE_LIST_NAMES, CODE_LIST_OF_FIELD, type CodeField } from '../../../src/domain/notification';

const FILE = join(__dirname, '../../../examples/code-lists.example.json');

describe('examples/code-lists.example.json', () => {
  const content = JSON.parse(readFileSync(FILE, 'utf8')) as {
    lists: Record<string, Array<{ code: number; name: string; validTo?: string | null }>>;
  };

  it('loads with codeListsFromFile and holds every code list', () => {
    const lists = codeListsFromFile(content);
    expect(lists.loaded).to.deep.equal(CODE_LIST_NAMES);
  });

  it('is clearly fictitious: every name says so', () => {
    for (const items of Object.values(content.lists)) {
      for (const item of items) expect(item.name).to.match(/^Eksempel – fiktiv /);
    }
  });

  it('has, in every list, a code valid now and an expired one (2003)', () => {
    const lists = codeListsFromFile(content);
    const now = new Date();
    for (const field of Object.keys(CODE_LIST_OF_FIELD) as CodeField[]) {
      const items = content.lists[CODE_LIST_OF_FIELD[field]] ?? [];
      const outcomes = items.map((item) => lists.check(field, field, item.code, now)?.fejlkode);
      expect(outcomes, field).to.include(undefined);
      expect(outcomes, field).to.include(2003);
    }
  });
});
