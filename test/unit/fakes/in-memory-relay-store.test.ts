import { InMemoryRelayStore } from '../../support/fakes/in-memory-relay';
import { describeRelayStoreContract } from '../../support/relay-store-contract';

describe('fakes/InMemoryRelayStore', () => {
  describeRelayStoreContract('InMemoryRelayStore', () => {
    const store = new InMemoryRelayStore();
    return Promise.resolve({
      store,
      otherRelay: store.otherRelay(),
      add: (entity: string) => {
        const n = store.rows.length + 1;
        const message = store.add({
          messageId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
          requestId: `contract-${n}`,
          kind: 'Ordningsnotifikation',
          eksternIdentifier: entity,
          jobCenterKode: '10101',
          aendringstype: 'Opdatering',
          receivedAt: new Date(),
          exchange: 'virksomhedsordning.webservicebesked',
          routingKey: 'ordningsnotifikation.10101',
          body: Buffer.from('{}'),
        });
        return Promise.resolve(message.seq);
      },
      park: (seq: string) => {
        store.row(seq).status = 'parked';
        return Promise.resolve();
      },
      state: (seq: string) => {
        const row = store.row(seq);
        return Promise.resolve({
          status: row.status,
          attempts: row.attempts,
          lastError: row.lastError,
          nextAttemptAt: row.nextAttemptAt,
        });
      },
      pending: () => Promise.resolve(store.pendingCount()),
    });
  });
});
