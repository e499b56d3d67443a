import type { Clock } from '../clock';
import type { OperatorUnitOfWork, PayloadRedactionStore, RedactionObserver } from './ports';

export interface RedactPayloadsSettings {
  /** Delivered Ordningsnotifikation payloads are kept this many days (PAYLOAD_RETENTION_DAYS). */
  readonly retentionDays: number;
  /** Rows per statement and transaction. */
  readonly batchSize: number;
}

export interface RedactPayloadsCommand {
  /** Count what would be redacted; change nothing. */
  readonly dryRun: boolean;
  /** Set when an operator runs the sweep by hand: recorded in operator_action. */
  readonly requestedBy?: { readonly actor: string; readonly reason: string };
  /** Stops between batches (the periodic runner's stop()). */
  readonly signal?: AbortSignal;
}

export interface RedactionReport {
  readonly dryRun: boolean;
  /** Payloads past retention redacted (or, in a dry run, that would be). */
  readonly retention: number;
  /**
   * Payloads redacted because a delivered GDPR notification names them, its own included. In a dry
   * run an upper bound: a row named by two notifications, or also past retention, counts each time.
   */
  readonly gdpr: number;
  /** Delivered GDPR notifications whose own payload is kept because an earlier row they name is undelivered. */
  readonly erasuresWaiting: number;
}

/**
 * Retention and GDPR erasure of payloads; metadata and request ids stay forever.
 *
 * - Retention: a delivered Ordningsnotifikation's payload is redacted `retentionDays` after delivery.
 * - Erasure: once a GdprSlettetNotifikation is delivered, the payloads of every EARLIER delivered
 *   Ordningsnotifikation about its own entity, its slettedeExternalIdentifiers or its cprNumre are
 *   redacted at once. An earlier row that is not yet delivered keeps its payload (the relay still
 *   has to publish it); the GDPR notification then keeps its own payload too, as the record of
 *   what is still to be erased, and every sweep re-checks it. When nothing earlier it names holds a
 *   payload any more, its own payload (CPR numbers) is redacted as well. So GDPR notifications are
 *   not subject to retention: they are redacted as soon as, and not before, their erasure is done.
 *   An earlier GDPR notification with overlapping cprNumre is erased by the same rule applied to
 *   itself, never by a later one, which could otherwise destroy the record of its pending work.
 */
export class RedactPayloads {
  constructor(
    private readonly store: PayloadRedactionStore,
    private readonly clock: Clock,
    private readonly observer: RedactionObserver,
    private readonly audit: OperatorUnitOfWork,
    private readonly settings: RedactPayloadsSettings,
  ) {}

  async execute(command: RedactPayloadsCommand): Promise<RedactionReport> {
    const cutoff = new Date(this.clock.now().getTime() - this.settings.retentionDays * 86_400_000);
    const report = command.dryRun ? await this.count(cutoff) : await this.redact(cutoff, command.signal);
    if (command.requestedBy !== undefined) {
      const { actor, reason } = command.requestedBy;
      await this.audit.run(({ actions }) =>
        actions.record({
          action: 'redact',
          messageId: null,
          requestId: null,
          actor,
          reason,
          dryRun: command.dryRun,
          details: {
            retention: report.retention,
            gdpr: report.gdpr,
            erasuresWaiting: report.erasuresWaiting,
            retentionDays: this.settings.retentionDays,
          },
        }),
      );
    }
    return report;
  }

  private async redact(cutoff: Date, signal: AbortSignal | undefined): Promise<RedactionReport> {
    const limit = this.settings.batchSize;
    let retention = 0;
    for (;;) {
      if (isAborted(signal)) break;
      const n = await this.store.redactExpired(cutoff, limit);
      retention += n;
      if (n > 0) this.observer.redacted('retention', n);
      if (n < limit) break;
    }
    let gdpr = 0;
    let erasuresWaiting = 0;
    for (const erasure of await this.store.deliveredErasures()) {
      if (isAborted(signal)) break;
      for (;;) {
        const n = await this.store.redactErasureTargets(erasure, limit);
        gdpr += n;
        if (n > 0) this.observer.redacted('gdpr', n);
        if (n < limit || isAborted(signal)) break;
      }
      if (await this.store.redactErasure(erasure)) {
        gdpr += 1;
        this.observer.redacted('gdpr', 1);
      } else {
        erasuresWaiting += 1;
      }
    }
    return { dryRun: false, retention, gdpr, erasuresWaiting };
  }

  private async count(cutoff: Date): Promise<RedactionReport> {
    const retention = await this.store.countExpired(cutoff);
    let gdpr = 0;
    let erasuresWaiting = 0;
    for (const erasure of await this.store.deliveredErasures()) {
      gdpr += await this.store.countErasureTargets(erasure);
      if ((await this.store.countErasureBlockers(erasure)) === 0) gdpr += 1;
      else erasuresWaiting += 1;
    }
    return { dryRun: true, retention, gdpr, erasuresWaiting };
  }
}

function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}
