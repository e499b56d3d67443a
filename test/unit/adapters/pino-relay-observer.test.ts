import { expect } from 'chai';
import pino from 'pino';
import { PinoRelayObserver, observeAll } from '../../../src/adapters/pino-relay-observer';
import type { FailedMessage, RelayObserver } from '../../../src/application/relay/ports';

function capture(): { observer: PinoRelayObserver; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { observer: new PinoRelayObserver(logger), lines };
}

const failed = (n: number): FailedMessage => ({
  messageId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  eksternIdentifier: `entity-${n}`,
  attempts: 2,
});

describe('PinoRelayObserver: the relay’s failure log lines', () => {
  it('name each failed message and its entity, with the reason and the attempt, never a payload', () => {
    const { observer, lines } = capture();
    observer.publishFailed('unroutable', 1, 'NO_ROUTE', [failed(1)]);
    expect(lines).to.have.length(1);
    expect(lines[0]).to.include({
      level: 40,
      reason: 'unroutable',
      messageId: failed(1).messageId,
      eksternIdentifier: 'entity-1',
      attempts: 3,
      detail: 'NO_ROUTE',
    });
    expect(lines[0]).to.not.have.property('payload');
  });

  it('name the first ten of a batch one line each and count the rest in one more line', () => {
    const { observer, lines } = capture();
    const messages = Array.from({ length: 25 }, (_, i) => failed(i));
    observer.publishFailed('connection', 25, 'connection closed', messages);
    expect(lines).to.have.length(11);
    expect(lines.slice(0, 10).map((l) => l.messageId)).to.deep.equal(
      messages.slice(0, 10).map((m) => m.messageId),
    );
    expect(lines[10]).to.include({ reason: 'connection', count: 15 });
  });

  it('observeAll forwards every argument of every report', () => {
    const calls: unknown[][] = [];
    const recorder: RelayObserver = {
      batchClaimed: (...args) => calls.push(['batchClaimed', ...args]),
      delivered: (...args) => calls.push(['delivered', ...args]),
      publishFailed: (...args) => calls.push(['publishFailed', ...args]),
      confirmLatency: (...args) => calls.push(['confirmLatency', ...args]),
      storeFailed: (...args) => calls.push(['storeFailed', ...args]),
    };
    const both = observeAll(recorder);
    const error = new Error('x');
    both.batchClaimed(3);
    both.delivered(2);
    both.publishFailed('nack', 1, 'nacked', [failed(1)]);
    both.confirmLatency(12);
    both.storeFailed('claim', error, 100);
    expect(calls).to.deep.equal([
      ['batchClaimed', 3],
      ['delivered', 2],
      ['publishFailed', 'nack', 1, 'nacked', [failed(1)]],
      ['confirmLatency', 12],
      ['storeFailed', 'claim', error, 100],
    ]);
  });
});
