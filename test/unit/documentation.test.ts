import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';

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
});
