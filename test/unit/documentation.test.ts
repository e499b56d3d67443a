import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The documents stay where the README says they are, and the configuration table stays complete. */
describe('documentation', () => {
  it('docs/configuration.md documents every variable the configuration parser reads', () => {
    const parser = readFileSync('src/composition/configuration.ts', 'utf8');
    const table = readFileSync('docs/configuration.md', 'utf8');
    const algorithms = /^(RS|PS|ES)\d+$/;
    const variables = new Set(
      [...parser.matchAll(/['`]([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)['`]/g)]
        .map((match) => match[1] as string)
        .filter((name) => !algorithms.test(name)),
    );
    expect(variables.size).to.be.greaterThan(30);
    for (const name of variables) expect(table, name).to.include(`\`${name}\``);
  });

  it('the README links every document in docs/ and stays one screen (≤ 10 KB)', () => {
    const readme = readFileSync('README.md', 'utf8');
    for (const file of readdirSync('docs').filter((f) => f.endsWith('.md'))) {
      expect(readme, file).to.include(`](docs/${file}`);
    }
    expect(Buffer.byteLength(readme)).to.be.at.most(10 * 1024);
  });

  it('docs/operations.md lists every metric the gateway registers', () => {
    const sources = readdirSync('src/adapters/metrics').map((f) =>
      readFileSync(`src/adapters/metrics/${f}`, 'utf8'),
    );
    const names = new Set(
      sources.flatMap((text) => [...text.matchAll(/name: '(wsb_[a-z_]+)'/g)].map((m) => m[1])),
    );
    expect(names.size).to.be.greaterThan(10);
    const operations = readFileSync('docs/operations.md', 'utf8');
    for (const name of names) expect(operations, name).to.include(`| \`${name}\``);
  });

  it('every relative link in the README, CONTRIBUTING.md and docs/ names a file that exists', () => {
    const documents = [
      'README.md',
      'CONTRIBUTING.md',
      ...readdirSync('docs', { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.md'))
        .map((f) => `docs/${f}`),
    ];
    for (const document of documents) {
      // Code spans are not links (a regular expression's `[…](…)` is not one).
      const text = readFileSync(document, 'utf8').replace(/`[^`\n]*`/g, '');
      for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (target === undefined || /^[a-z]+:/.test(target)) continue;
        expect(existsSync(path.join(path.dirname(document), target)), `${document} → ${target}`).to.equal(
          true,
        );
      }
    }
  });

  it('no file under src/ is over 330 lines unless its header says why in a line starting "Over 330 lines:"', () => {
    const files = readdirSync('src', { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    expect(files.length).to.be.greaterThan(50);
    for (const file of files) {
      const lines = readFileSync(`src/${file}`, 'utf8').split('\n');
      if (lines.length <= 330) continue;
      const header = lines.slice(0, 40).join('\n');
      expect(header, `src/${file} has ${lines.length} lines`).to.match(/^\s*(\*|\/\/)\s*Over 330 lines: \S/m);
    }
  });
});
