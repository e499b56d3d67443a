import { expect } from 'chai';
import {
  InMemoryMessagePublisher,
  InMemoryRelayStore,
  InMemoryWakeUp,
} from '../../../support/fakes/in-memory-relay';
import { retryDelayMs } from '../../../../src/application/backoff';
import { RelayOutbox, type RelaySettings } from '../../../../src/application/relay/relay-outbox';
import {
  type BatchTimeline,
  type OutboxRelayStore,
  type RelayTimeline,
  type RelayMessage,
  silentRelayObserver,
} from '../../../../src/application/relay/ports';

const SETTINGS: RelaySettings = {
  batchSize: 10,
  inFlightBatches: 3,
  idlePollMs: 2,
  retryBaseMs: 5,
  retryMaxMs: 20,
};

function message(entity: string, n: number): Omit<RelayMessage, 'seq' | 'attempts'> {
  return {
    messageId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    requestId: `req-${n}`,
    kind: 'Ordningsnotifikation',
    eksternIdentifier: entity,
    jobCenterKode: '10101',
    aendringstype: 'Opdatering',
    receivedAt: new Date(),
    exchange: 'x',
    routingKey: 'ordningsnotifikation.10101',
    body: Buffer.from(JSON.stringify({ n })),
  };
}

/** A seeded generator (mulberry32), so a failing interleaving can be run again. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
const random = seeded(20_251_201);

function relay(
  store: InMemoryRelayStore,
  publisher: InMemoryMessagePublisher,
  settings = SETTINGS,
  timeline?: RelayTimeline,
) {
  return new RelayOutbox(
    store,
    publisher,
    new InMemoryWakeUp(),
    { now: () => new Date() },
    silentRelayObserver,
    settings,
    random,
    timeline,
  );
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Each entity's confirmed messages, in confirm order, must be in seq order with no gaps. */
function expectEntityOrder(store: InMemoryRelayStore, confirmed: readonly RelayMessage[]): void {
  const byEntity = new Map<string, number[]>();
  for (const m of confirmed) {
    const list = byEntity.get(m.eksternIdentifier) ?? [];
    if (!list.includes(Number(m.seq))) list.push(Number(m.seq));
    byEntity.set(m.eksternIdentifier, list);
  }
  for (const [entity, seqs] of byEntity) {
    const expected = store.rows
      .filter((r) => r.message.eksternIdentifier === entity)
      .map((r) => Number(r.message.seq));
    expect(seqs, entity).to.deep.equal(expected);
  }
}

describe('RelayOutbox', () => {
  it('retryDelayMs grows exponentially, stays within [ceiling/2, ceiling] and is capped', () => {
    expect(retryDelayMs(0, 100, 10_000, () => 0)).to.equal(50);
    expect(retryDelayMs(0, 100, 10_000, () => 1)).to.equal(100);
    expect(retryDelayMs(3, 100, 10_000, () => 1)).to.equal(800);
    expect(retryDelayMs(50, 100, 10_000, () => 1)).to.equal(10_000);
    expect(retryDelayMs(50, 100, 10_000, () => 0)).to.equal(5_000);
  });

  for (const chainLength of [1, 16])
    it(`delivers every row, each entity in order, with three relays and random confirm delays (chains of ${chainLength})`, async () => {
      const store = new InMemoryRelayStore();
      for (let i = 0; i < 300; i++) store.add(message(`entity-${i % 7}`, i));
      const publisher = new InMemoryMessagePublisher();
      const confirmOrder: RelayMessage[] = [];
      // Confirm latency differs per call, so batches of different relays settle out of order.
      publisher.publish = async (messages) => {
        publisher.published.push(...messages);
        await new Promise((r) => setTimeout(r, random() * 5));
        confirmOrder.push(...messages);
        return messages.map(() => ({ ok: true }));
      };
      const stop = new AbortController();
      const relays = [1, 2, 3].map(() =>
        relay(store, publisher, { ...SETTINGS, chainLength }).execute(stop.signal),
      );
      await until(() => store.rows.every((r) => r.status === 'delivered'));
      stop.abort();
      await Promise.all(relays);
      expectEntityOrder(store, confirmOrder);
      expect(publisher.published).to.have.length(300);
    });

  it('a nacked message blocks only its own entity and is retried with backoff, counting attempts', async () => {
    const store = new InMemoryRelayStore();
    const a1 = store.add(message('a', 1));
    const a2 = store.add(message('a', 2));
    const b1 = store.add(message('b', 3));
    const publisher = new InMemoryMessagePublisher();
    let refuse = true;
    publisher.decide = (m) =>
      m.seq === a1.seq && refuse ? { ok: false, reason: 'nack', detail: 'message nacked' } : { ok: true };
    const stop = new AbortController();
    const running = relay(store, publisher).execute(stop.signal);
    await until(() => store.row(b1.seq).status === 'delivered' && store.row(a1.seq).attempts >= 2);
    expect(store.row(a2.seq).status).to.equal('pending');
    expect(publisher.published.map((m) => m.seq)).to.not.include(a2.seq);
    expect(store.row(a1.seq).lastError).to.match(/^nack/);
    refuse = false;
    await until(() => store.row(a2.seq).status === 'delivered');
    stop.abort();
    await running;
    expectEntityOrder(store, publisher.confirmed);
  });

  it('chains: an entity’s next row goes out only after the previous one is confirmed; a nack mid-chain stops it', async () => {
    const store = new InMemoryRelayStore();
    const a = [1, 2, 3, 4, 5].map((n) => store.add(message('a', n)));
    const b = [6, 7, 8].map((n) => store.add(message('b', n)));
    const publisher = new InMemoryMessagePublisher();
    const violations: string[] = [];
    let refuse = true;
    publisher.publish = async (messages) => {
      for (const m of messages) {
        const confirmed = new Set(publisher.confirmed.map((c) => c.seq));
        for (const r of store.rows) {
          const earlier =
            r.message.eksternIdentifier === m.eksternIdentifier && Number(r.message.seq) < Number(m.seq);
          if (earlier && !confirmed.has(r.message.seq)) violations.push(`${m.seq} before ${r.message.seq}`);
        }
        publisher.published.push(m);
      }
      await new Promise((r) => setTimeout(r, random() * 3));
      return messages.map((m) => {
        if (m.seq === a[2]?.seq && refuse) {
          refuse = false;
          return { ok: false, reason: 'nack', detail: 'message nacked' };
        }
        publisher.confirmed.push(m);
        return { ok: true };
      });
    };
    const stop = new AbortController();
    const running = relay(store, publisher, { ...SETTINGS, chainLength: 8, claimMaxRows: 100 }).execute(
      stop.signal,
    );
    await until(() => store.rows.every((r) => r.status === 'delivered'));
    stop.abort();
    await running;
    expect(violations).to.deep.equal([]);
    const publishedA = publisher.published.filter((m) => m.eksternIdentifier === 'a').map((m) => m.seq);
    const [s1, s2, s3, s4, s5] = a.map((m) => m.seq);
    // a3 nacked once: a4 and a5 were not published before a3's retry was confirmed.
    expect(publishedA).to.deep.equal([s1, s2, s3, s3, s4, s5]);
    expect(store.row(a[2]?.seq ?? '').attempts).to.equal(1);
    expect(publisher.published.filter((m) => m.eksternIdentifier === 'b').map((m) => m.seq)).to.deep.equal(
      b.map((m) => m.seq),
    );
    expectEntityOrder(store, publisher.confirmed);
  });

  it('chains: a claim’s chain heads go out in one publish call, so one message per entity costs what it did without chains', async () => {
    const store = new InMemoryRelayStore();
    for (let i = 0; i < 10; i++) store.add(message(`u${i}`, i));
    store.add(message('u0', 10));
    store.add(message('u0', 11));
    const publisher = new InMemoryMessagePublisher();
    const calls: string[][] = [];
    const inner = publisher.publish.bind(publisher);
    publisher.publish = (messages) => {
      calls.push(messages.map((m) => m.eksternIdentifier));
      return inner(messages);
    };
    const stop = new AbortController();
    const running = relay(store, publisher, { ...SETTINGS, chainLength: 128, claimMaxRows: 4000 }).execute(
      stop.signal,
    );
    await until(() => store.rows.every((r) => r.status === 'delivered'));
    stop.abort();
    await running;
    // Ten heads in one call, then u0's two chain rows one by one.
    expect(calls.map((c) => c.length)).to.deep.equal([10, 1, 1]);
    expect(calls[1]).to.deep.equal(['u0']);
    expect(calls[2]).to.deep.equal(['u0']);
  });

  it('with a timeline, records each batch: its claim, publish, every message’s confirm and the settle, in that order', async () => {
    const store = new InMemoryRelayStore();
    const heads = [1, 2, 3].map((n) => store.add(message(`t${n}`, n)));
    const chained = store.add(message('t1', 4));
    const publisher = new InMemoryMessagePublisher();
    let clock = 0;
    const batches: BatchTimeline[] = [];
    const timeline = { now: () => ++clock, batch: (t: BatchTimeline) => void batches.push(t) };
    const stop = new AbortController();
    const running = relay(
      store,
      publisher,
      { ...SETTINGS, chainLength: 128, claimMaxRows: 4000 },
      timeline,
    ).execute(stop.signal);
    await until(() => batches.length > 0 && store.rows.every((r) => r.status === 'delivered'));
    stop.abort();
    await running;
    const [batch] = batches;
    expect(batch?.wokenBy).to.equal('busy');
    expect(batch?.messages.map((m) => m.messageId).sort()).to.deep.equal(
      [...heads, chained].map((m) => m.messageId).sort(),
    );
    const confirmed = new Map(batch?.messages.map((m) => [m.messageId, m.confirmedAt]));
    const stamps = [batch?.wokeAt, batch?.claimStartedAt, batch?.claimedAt, batch?.publishedAt].map(Number);
    expect(stamps).to.deep.equal([...stamps].sort((x, y) => x - y));
    for (const head of heads) expect(confirmed.get(head.messageId)).to.be.greaterThan(stamps[3]!);
    // The chain's second row is confirmed after its head.
    expect(confirmed.get(chained.messageId)).to.be.greaterThan(confirmed.get(heads[0]!.messageId)!);
    expect(batch?.settledAt).to.be.greaterThan(Math.max(...confirmed.values()));
  });

  describe('after a settle, claims again only when rows may have become eligible', () => {
    /**
     * A relay that polls only once a minute, so whatever it delivers quickly, a claim fetched;
     * `wrap` stands between it and the store.
     */
    function quietRelay(wrap: (store: OutboxRelayStore) => OutboxRelayStore = (store) => store) {
      const store = new InMemoryRelayStore();
      const publisher = new InMemoryMessagePublisher();
      publisher.confirmDelayMs = 30;
      const wakeUp = new InMemoryWakeUp();
      let claims = 0;
      let claimDelayMs = 0;
      const wrapped = wrap(store);
      const counting: OutboxRelayStore = {
        claim: async (...args) => {
          claims++;
          const batch = await wrapped.claim(...args);
          if (claimDelayMs > 0) await new Promise((r) => setTimeout(r, claimDelayMs));
          return batch;
        },
      };
      const outbox = new RelayOutbox(
        counting,
        publisher,
        wakeUp,
        { now: () => new Date() },
        silentRelayObserver,
        { ...SETTINGS, idlePollMs: 60_000 },
        random,
      );
      return {
        store,
        publisher,
        wakeUp,
        outbox,
        claims: () => claims,
        slowClaims: (ms: number) => (claimDelayMs = ms),
      };
    }

    it('not when its claim took every due row: the next claim waits for a wake-up', async () => {
      const { store, publisher, wakeUp, outbox, claims } = quietRelay();
      store.add(message('e-1', 1));
      const stop = new AbortController();
      const running = outbox.execute(stop.signal);
      await until(() => publisher.confirmed.length === 1 && store.pendingCount() === 0);
      await new Promise((r) => setTimeout(r, 100));
      expect(claims(), 'one claim, no empty one after its settle').to.equal(1);
      store.add(message('e-1', 2));
      wakeUp.notify();
      await until(() => publisher.confirmed.length === 2);
      stop.abort();
      await running;
      expect(claims()).to.equal(2);
    });

    it('when a row of a claimed entity was already waiting behind it', async () => {
      const { store, publisher, outbox } = quietRelay();
      store.add(message('e-1', 1));
      store.add(message('e-1', 2));
      const stop = new AbortController();
      const running = outbox.execute(stop.signal);
      await until(() => publisher.confirmed.length === 2, 2000);
      stop.abort();
      await running;
      expect(publisher.confirmed.map((m) => m.requestId)).to.deep.equal(['req-1', 'req-2']);
    });

    it('when a row announced while its entity was in flight could not be claimed then', async () => {
      const { store, publisher, wakeUp, outbox, claims } = quietRelay();
      store.add(message('e-1', 1));
      const stop = new AbortController();
      const running = outbox.execute(stop.signal);
      await until(() => publisher.published.length === 1);
      // The row behind the one in flight commits and notifies: that claim finds its entity blocked.
      store.add(message('e-1', 2));
      wakeUp.notify();
      await until(() => claims() === 2);
      expect(publisher.published).to.have.length(1);
      // The settle unblocks it; no further notification comes.
      await until(() => publisher.confirmed.length === 2, 2000);
      stop.abort();
      await running;
    });

    it('when a batch settled while a claim that left rows behind it was running', async () => {
      const { store, publisher, wakeUp, outbox, claims, slowClaims } = quietRelay();
      store.add(message('e-1', 1));
      const stop = new AbortController();
      const running = outbox.execute(stop.signal);
      await until(() => publisher.published.length === 1);
      // This claim finds e-1's next row blocked and answers only after that batch has settled.
      slowClaims(100);
      store.add(message('e-1', 2));
      wakeUp.notify();
      await until(() => claims() === 2);
      slowClaims(0);
      await until(() => publisher.confirmed.length === 2, 2000);
      stop.abort();
      await running;
    });

    it('when its settle failed and left the rows pending', async () => {
      let settles = 0;
      // The first settle fails as a lost database session does: the claim ends, nothing recorded.
      const { store, publisher, outbox } = quietRelay((inner) => ({
        claim: async (...args) => {
          const batch = await inner.claim(...args);
          return {
            ...batch,
            settle: async (delivered, failed) => {
              if (settles++ > 0) return batch.settle(delivered, failed);
              await batch.release();
              throw new Error('the session was lost');
            },
          };
        },
      }));
      store.add(message('e-1', 1));
      const stop = new AbortController();
      const running = outbox.execute(stop.signal);
      await until(() => store.pendingCount() === 0, 2000);
      stop.abort();
      await running;
      expect(publisher.confirmed, 'published again under the same messageId').to.have.length(2);
    });
  });

  it('an unroutable message stays pending until it can be routed', async () => {
    const store = new InMemoryRelayStore();
    const m = store.add(message('a', 1));
    const publisher = new InMemoryMessagePublisher();
    let bound = false;
    publisher.decide = () => (bound ? { ok: true } : { ok: false, reason: 'unroutable', detail: 'NO_ROUTE' });
    const stop = new AbortController();
    const running = relay(store, publisher).execute(stop.signal);
    await until(() => publisher.published.length >= 2);
    expect(store.row(m.seq).status).to.equal('pending');
    expect(store.row(m.seq).lastError).to.match(/^unroutable/);
    bound = true;
    await until(() => store.row(m.seq).status === 'delivered');
    stop.abort();
    await running;
  });

  it('names each failed message and its entity to the observer, never its body', async () => {
    const store = new InMemoryRelayStore();
    const a1 = store.add(message('a', 1));
    store.add(message('b', 2));
    const publisher = new InMemoryMessagePublisher();
    publisher.decide = (m) =>
      m.seq === a1.seq ? { ok: false, reason: 'unroutable', detail: 'NO_ROUTE' } : { ok: true };
    const reports: unknown[][] = [];
    const stop = new AbortController();
    const running = new RelayOutbox(
      store,
      publisher,
      new InMemoryWakeUp(),
      { now: () => new Date() },
      { ...silentRelayObserver, publishFailed: (...args) => reports.push(args) },
      SETTINGS,
      random,
    ).execute(stop.signal);
    await until(() => reports.length >= 2);
    stop.abort();
    await running;
    expect(reports[0]).to.deep.equal([
      'unroutable',
      1,
      'NO_ROUTE',
      [{ messageId: a1.messageId, eksternIdentifier: 'a', attempts: 0 }],
    ]);
    expect(reports[1]?.[3]).to.deep.equal([{ messageId: a1.messageId, eksternIdentifier: 'a', attempts: 1 }]);
  });

  it('a broker outage never uses up attempts and never parks', async () => {
    const store = new InMemoryRelayStore();
    const m = store.add(message('a', 1));
    const publisher = new InMemoryMessagePublisher();
    let up = false;
    publisher.decide = () =>
      up ? { ok: true } : { ok: false, reason: 'connection', detail: 'channel closed' };
    const stop = new AbortController();
    const running = relay(store, publisher).execute(stop.signal);
    await until(() => publisher.published.length >= 4);
    expect(store.row(m.seq).attempts).to.equal(0);
    expect(store.row(m.seq).status).to.equal('pending');
    expect(store.row(m.seq).lastError).to.match(/^connection/);
    expect(store.row(m.seq).nextAttemptAt.getTime()).to.be.greaterThan(Date.now() - 1000);
    up = true;
    await until(() => store.row(m.seq).status === 'delivered');
    stop.abort();
    await running;
  });

  it('waits while the publisher is not ready, and publishes nothing meanwhile', async () => {
    const store = new InMemoryRelayStore();
    store.add(message('a', 1));
    const publisher = new InMemoryMessagePublisher();
    publisher.isReady = false;
    const stop = new AbortController();
    const running = relay(store, publisher).execute(stop.signal);
    await new Promise((r) => setTimeout(r, 30));
    expect(publisher.published).to.have.length(0);
    publisher.isReady = true;
    await until(() => publisher.confirmed.length === 1);
    stop.abort();
    await running;
  });

  it('on stop, finishes the batches in flight before resolving', async () => {
    const store = new InMemoryRelayStore();
    for (let i = 0; i < 5; i++) store.add(message(`e${i}`, i));
    const publisher = new InMemoryMessagePublisher();
    publisher.confirmDelayMs = 50;
    const stop = new AbortController();
    const running = relay(store, publisher).execute(stop.signal);
    await until(() => publisher.published.length === 5);
    stop.abort();
    await running;
    expect(store.rows.every((r) => r.status === 'delivered' && !r.claimed)).to.equal(true);
  });

  it('keeps batch size × in-flight publishes awaiting confirms while earlier batches settle, with at most twice as many claims open', async () => {
    const store = new InMemoryRelayStore();
    for (let i = 0; i < 200; i++) store.add(message(`e${i}`, i));
    let open = 0;
    let maxOpen = 0;
    const slowSettle: OutboxRelayStore = {
      claim: async (limit) => {
        const batch = await store.claim(limit);
        if (batch.messages.length === 0) return batch;
        maxOpen = Math.max(maxOpen, ++open);
        return {
          messages: batch.messages,
          dueRowsLeft: batch.dueRowsLeft,
          release: () => batch.release().finally(() => open--),
          settle: async (delivered, failed) => {
            await new Promise((r) => setTimeout(r, 40));
            await batch.settle(delivered, failed).finally(() => open--);
          },
        };
      },
    };
    let awaiting = 0;
    let maxAwaiting = 0;
    const publisher = new InMemoryMessagePublisher();
    const inner = publisher.publish.bind(publisher);
    publisher.publish = async (messages) => {
      awaiting += messages.length;
      maxAwaiting = Math.max(maxAwaiting, awaiting);
      await new Promise((r) => setTimeout(r, 5));
      try {
        return await inner(messages);
      } finally {
        awaiting -= messages.length;
      }
    };
    const stop = new AbortController();
    const running = new RelayOutbox(
      slowSettle,
      publisher,
      new InMemoryWakeUp(),
      { now: () => new Date() },
      silentRelayObserver,
      SETTINGS,
    ).execute(stop.signal);
    await until(() => store.rows.every((r) => r.status === 'delivered'));
    stop.abort();
    await running;
    // Messages awaiting confirms (a claim's chain heads go out in one publish call).
    expect(maxAwaiting).to.equal(SETTINGS.batchSize * SETTINGS.inFlightBatches);
    expect(maxOpen).to.be.above(SETTINGS.inFlightBatches);
    expect(maxOpen).to.be.at.most(2 * SETTINGS.inFlightBatches);
  });
});
