import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServiceIdentifier } from 'inversify';
import pino from 'pino';
import { loadConfiguration } from '../../../src/composition/configuration';
import {
  closeContainer,
  createContainer,
  entryPoints,
  PROCESS_KINDS,
} from '../../../src/composition/container';
import { TOKENS } from '../../../src/composition/tokens';
import {
  InMemoryMessagePublisher,
  InMemoryRelayStore,
  InMemoryWakeUp,
} from '../../support/fakes/in-memory-relay';

/**
 * Every binding of every process kind's container resolves: a dead or unresolvable binding fails here,
 * not at start-up. The ports that would reach the broker or claim rows are swapped with `rebind`, as
 * the integration tests do; pools are created but never asked for a connection.
 */
describe('the container of each process kind', () => {
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'wsb-container-'));
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  for (const kind of PROCESS_KINDS) {
    it(`${kind}: resolves every binding, starts its entry points and closes`, async () => {
      const config = loadConfiguration(
        {
          DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
          DATA_DIR: dataDir,
          PORT: '0',
          HOST: '127.0.0.1',
          ADMIN_PORT: '0',
          CONSOLE_PORT: '0',
          REDACTION_INTERVAL_SECONDS: '0',
        },
        {
          servesHttp: kind === 'serve' || kind === 'start',
          servesConsole: kind === 'console' || kind === 'start',
        },
      );
      const container = createContainer(kind, config, pino({ level: 'silent' }));
      if (container.isBound(TOKENS.MessagePublisher)) {
        const publisher = Object.assign(new InMemoryMessagePublisher(), {
          isReady: true,
          stop: () => Promise.resolve(),
        });
        container.rebind(TOKENS.MessagePublisher).toConstantValue(publisher);
        container
          .rebind(TOKENS.OutboxWakeUp)
          .toConstantValue(Object.assign(new InMemoryWakeUp(), { stop: () => Promise.resolve() }));
        container.rebind(TOKENS.OutboxRelayStore).toConstantValue(new InMemoryRelayStore());
      }
      const bound = (Object.entries(TOKENS) as Array<[string, ServiceIdentifier]>).filter(([, id]) =>
        container.isBound(id),
      );
      expect(bound.length, 'bindings').to.be.greaterThan(3);
      try {
        for (const [name, id] of bound) {
          expect(await container.getAsync(id), name).to.not.equal(undefined);
        }
        for (const id of entryPoints(kind)) expect(container.isBound(id)).to.equal(true);
      } finally {
        await closeContainer(container);
      }
    });
  }
});
