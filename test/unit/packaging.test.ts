import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** What can be checked of the container files without a Docker engine. */
describe('packaging files', () => {
  const configurationDoc = readFileSync('docs/configuration.md', 'utf8');

  it('compose.yaml parses and sets only variables docs/configuration.md documents', () => {
    const compose = parse(readFileSync('compose.yaml', 'utf8')) as {
      services: Record<string, { image?: string; environment?: Record<string, string>; command?: string[] }>;
    };
    expect(compose.services).to.include.keys('postgres', 'rabbitmq', 'gateway', 'relay');
    const variables = Object.values(compose.services).flatMap((s) =>
      s.image === undefined ? Object.keys(s.environment ?? {}) : [],
    );
    expect(variables.length).to.be.greaterThan(3);
    for (const name of variables)
      expect(configurationDoc, `docs/configuration.md documents ${name}`).to.include(`\`${name}\``);
  });

  it('the Dockerfile runs the built entry point as a non-root user on the current LTS', () => {
    const dockerfile = readFileSync('Dockerfile', 'utf8');
    expect(dockerfile).to.match(/^FROM node:24/m);
    expect(dockerfile).to.match(/^USER node$/m);
    expect(dockerfile).to.include('dist/src/main.js');
  });
});
