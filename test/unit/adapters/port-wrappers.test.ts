import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { observeAll } from '../../../src/adapters/pino-relay-observer';
import { OpenTelemetryTracing } from '../../../src/adapters/tracing/opentelemetry-tracing';
import type {
  ClaimedBatch,
  MessagePublisher,
  OutboxRelayStore,
  PublishOutcome,
  RelayMessage,
  RelayObserver,
} from '../../../src/application/relay/ports';

/**
 * Every wrapper of a port in src (a function or method taking a port and returning the same port)
 * must forward every method with every argument: TypeScript accepts a wrapper that names fewer
 * parameters than the port, and `traceStore` once dropped `claim`'s `chain` that way.
 */

/** Each method's full arity; listing a method too few or too many fails the type check. */
type Arity<P> = {
  readonly [K in keyof P]-?: P[K] extends (...args: infer A) => unknown ? Required<A>['length'] : never;
};

interface WrapperCase<P> {
  /** The function or method's name in src. */
  readonly name: string;
  readonly arity: Arity<P>;
  /** How many inner ports it takes (a fan-out forwards to each). */
  readonly inners: number;
  wrap(inner: readonly P[]): P;
  /** Arguments for methods whose wrapper looks inside them (defaults: one sentinel object each). */
  readonly args?: { readonly [K in keyof P]?: readonly unknown[] };
  /** What the inner method returns, where the wrapper looks inside it (default: a sentinel object). */
  readonly returns?: { readonly [K in keyof P]?: unknown };
}

const message: RelayMessage = {
  seq: '17',
  messageId: 'message-sentinel',
  requestId: 'request-sentinel',
  kind: 'Ordningsnotifikation',
  eksternIdentifier: 'entity-sentinel',
  jobCenterKode: '10101',
  aendringstype: 'Oprettelse',
  receivedAt: new Date('2026-01-02T03:04:05Z'),
  exchange: 'exchange-sentinel',
  routingKey: 'routing-key-sentinel',
  body: Buffer.from('{}'),
  attempts: 3,
};

const batch: ClaimedBatch = {
  messages: [message],
  dueRowsLeft: false,
  settle: () => Promise.resolve(),
  release: () => Promise.resolve(),
};

const outcomes: PublishOutcome[] = [{ ok: true }];

function tracing(): OpenTelemetryTracing {
  return new OpenTelemetryTracing({
    processor: new SimpleSpanProcessor({ exporter: new InMemorySpanExporter() }),
  });
}

const storeCase: WrapperCase<OutboxRelayStore> = {
  name: 'traceStore',
  arity: { claim: 2 },
  inners: 1,
  wrap: ([store]) => tracing().traceStore(store!),
  returns: { claim: batch },
};

const publisherCase: WrapperCase<MessagePublisher> = {
  name: 'tracePublisher',
  arity: { ready: 1, publish: 1 },
  inners: 1,
  wrap: ([publisher]) => tracing().tracePublisher(publisher!),
  // The wrapper adds each message's trace context, so the inner port gets copies carrying the rest.
  args: { publish: [[message]] },
  returns: { publish: outcomes },
};

const observerCase: WrapperCase<RelayObserver> = {
  name: 'observeAll',
  arity: { batchClaimed: 1, delivered: 1, publishFailed: 4, confirmLatency: 1, storeFailed: 3 },
  inners: 2,
  wrap: (observers) => observeAll(...observers),
};

const CASES: ReadonlyArray<WrapperCase<object>> = [storeCase, publisherCase, observerCase];

interface Call {
  readonly method: string;
  readonly args: readonly unknown[];
}

/** An inner port that records every call and answers with `returns[method]` or a sentinel. */
function recordingPort<P extends object>(calls: Call[], returns: Record<string, unknown>): P {
  return new Proxy({} as P, {
    get: (_, method) =>
      typeof method === 'string' && method !== 'then'
        ? (...args: unknown[]) => {
            calls.push({ method, args });
            return method in returns ? returns[method] : { returnedBy: method };
          }
        : undefined,
  });
}

/** The received value is the sentinel, or (for arrays and objects) carries all its fields. */
function carries(received: unknown, sent: unknown): boolean {
  if (received === sent) return true;
  if (Array.isArray(sent)) {
    return (
      Array.isArray(received) &&
      received.length === sent.length &&
      sent.every((s, i) => carries(received[i], s))
    );
  }
  if (typeof sent !== 'object' || sent === null || typeof received !== 'object' || received === null) {
    return false;
  }
  const fields = received as Record<string, unknown>;
  return Object.entries(sent).every(([key, value]) => carries(fields[key], value));
}

describe('wrappers of ports forward every method and every argument', () => {
  for (const wrapper of CASES) {
    const arity = wrapper.arity as Record<string, number>;
    for (const [method, count] of Object.entries(arity)) {
      it(`${wrapper.name}: ${method} (${count} argument${count === 1 ? '' : 's'})`, async () => {
        const calls: Call[][] = Array.from({ length: wrapper.inners }, () => []);
        const returns = (wrapper.returns ?? {}) as Record<string, unknown>;
        const outer = wrapper.wrap(calls.map((c) => recordingPort<object>(c, returns)));
        const args =
          (wrapper.args as Record<string, readonly unknown[]> | undefined)?.[method] ??
          Array.from({ length: count }, (_, i) => ({ sentinel: `${method}#${i}` }));
        expect(args, 'the test passes every argument').to.have.length(count);

        const forward = (outer as Record<string, unknown>)[method];
        expect(forward, `${wrapper.name} has ${method}`).to.be.a('function');
        const result: unknown = await (forward as (...a: unknown[]) => unknown).apply(outer, [...args]);

        for (const inner of calls) {
          expect(inner.map((c) => c.method)).to.deep.equal([method]);
          const received = inner[0]!.args;
          expect(received, `${method}'s arguments`).to.have.length(count);
          args.forEach((sent, i) =>
            expect(carries(received[i], sent), `${method}'s argument ${i}`).to.equal(true),
          );
        }
        if (wrapper.inners === 1) {
          const expected = method in returns ? returns[method] : { returnedBy: method };
          expect(result, `${method}'s result`).to.deep.equal(expected);
        }
      });
    }
  }

  it('covers every wrapper of a port in src', () => {
    const files = sourceFiles('src');
    const ports = new Set(
      files
        .filter((f) => f.startsWith(join('src', 'application')))
        .flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/export interface (\w+)/g)].map((m) => m[1]!)),
    );
    // `name(x: Port): Port` or `name(...xs: readonly Port[]): Port`, as a function or a method.
    const signature = /(\w+)\(\s*(?:\.\.\.)?\w+\??:\s*(?:readonly )?(\w+)(?:\[\])?\s*\)\s*:\s*(\w+)/g;
    const found = files.flatMap((f) =>
      [...readFileSync(f, 'utf8').matchAll(signature)]
        .filter((m) => m[2] === m[3] && ports.has(m[2]!))
        .map((m) => m[1]!),
    );
    expect(found.sort()).to.deep.equal(CASES.map((c) => c.name).sort());
  });
});

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}
