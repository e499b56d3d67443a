import type { Aendringstype, MessageKind } from '../../domain/notification';
import type { RequestId } from '../../domain/request-id';
import type { TraceContext } from '../../domain/trace-context';

/** A notification as the outbox keeps it: one row, written in one statement with its requestId. */
export interface OutboxMessage {
  readonly messageId: string;
  readonly requestId: RequestId;
  readonly kind: MessageKind;
  /** Lower-cased, so that one entity is one ordering key whatever case VITAS used. */
  readonly eksternIdentifier: string;
  readonly jobCenterKode: string;
  readonly registreringsDato: Date;
  readonly aendringstype: Aendringstype;
  readonly clientId: string;
  readonly clientCertSubject: string | undefined;
  readonly receivedAt: Date;
  readonly exchange: string;
  readonly routingKey: string;
  /** The request body as accepted: validated, unknown properties dropped, codes as integers. */
  readonly payload: Readonly<Record<string, unknown>>;
  /** W3C trace context the relay publishes with the message (CONTRACT §4). */
  readonly traceContext?: TraceContext | undefined;
}

export type AppendOutcome = 'appended' | 'duplicate-request-id';

/**
 * Where accepted notifications go. `append` resolves only once the row is committed, so the
 * caller may answer 200; `duplicate-request-id` when the requestId was ever seen before, in
 * which case nothing was written.
 */
export interface OutboxRepository {
  append(message: OutboxMessage): Promise<AppendOutcome>;
}

/** Repositories bound to one transaction. */
export interface TransactionalRepositories {
  readonly outbox: OutboxRepository;
}

/**
 * Runs work in one transaction: every write the work makes through the repositories it is
 * handed commits together, or none does. `run` resolves after the commit.
 */
export interface UnitOfWork {
  run<T>(work: (repositories: TransactionalRepositories) => Promise<T>): Promise<T>;
}

export interface IdGenerator {
  /** A new random (version 4) uuid. */
  uuid(): string;
}

/**
 * Thrown by storage adapters when the database cannot be reached or is shutting down: nothing
 * was accepted and the caller may retry later (HTTP 503), unlike a bug (HTTP 500).
 */
export class StorageUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageUnavailableError';
  }
}
