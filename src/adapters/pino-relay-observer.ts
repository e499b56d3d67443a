import type { Logger } from 'pino';
import type { PublishFailureReason, RelayObserver } from '../application/relay/ports';
import { errorMessage } from './logging';

/** Logs what the relay reports: every failure with its reason, routine progress at debug. */
export class PinoRelayObserver implements RelayObserver {
  constructor(private readonly logger: Logger) {}

  batchClaimed(size: number): void {
    this.logger.debug({ size }, 'claimed a batch');
  }

  delivered(count: number): void {
    this.logger.debug({ count }, 'delivered');
  }

  publishFailed(reason: PublishFailureReason, count: number, detail: string): void {
    this.logger.warn({ reason, count, detail }, 'publish failed; the messages stay pending and are retried');
  }

  confirmLatency(): void {}

  storeFailed(operation: 'claim' | 'settle' | 'release', error: unknown, retryInMs: number): void {
    this.logger.warn(
      { operation, err: errorMessage(error), retryInMs },
      operation === 'settle'
        ? 'could not record publish outcomes; the rows stay pending and will be published again'
        : `outbox ${operation} failed`,
    );
  }
}

/** Passes every report to each observer in turn (e.g. logs and metrics). */
export function observeAll(...observers: readonly RelayObserver[]): RelayObserver {
  return {
    batchClaimed: (size) => observers.forEach((o) => o.batchClaimed(size)),
    delivered: (count) => observers.forEach((o) => o.delivered(count)),
    publishFailed: (reason, count, detail) =>
      observers.forEach((o) => o.publishFailed(reason, count, detail)),
    confirmLatency: (ms) => observers.forEach((o) => o.confirmLatency(ms)),
    storeFailed: (operation, error, retryInMs) =>
      observers.forEach((o) => o.storeFailed(operation, error, retryInMs)),
  };
}
