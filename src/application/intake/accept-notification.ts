import { isLeft } from 'fp-ts/lib/Either';
import { type AcceptFailure, FEJL, type Violation } from '../../domain/errors';
import type { CodeLists } from '../../domain/code-lists';
import {
  decodeNotification,
  MAX_ROUTING_KEY_BYTES,
  type MessageKind,
  routingKeyFor,
} from '../../domain/notification';
import { parseDateTime } from '../../domain/primitives';
import type { RequestId } from '../../domain/request-id';
import type { TraceContext } from '../../domain/trace-context';
import type { Clock } from '../clock';
import type { IdGenerator, OutboxMessage, UnitOfWork } from './ports';

export interface AcceptNotificationCommand {
  readonly kind: MessageKind;
  readonly requestId: RequestId;
  /** The parsed JSON body, not yet validated. */
  readonly body: unknown;
  readonly clientId: string;
  readonly clientCertSubject?: string | undefined;
  /** The request's trace context as the intake continued it; stored with the row. */
  readonly traceContext?: TraceContext | undefined;
}

export type AcceptNotificationResult =
  { readonly _tag: 'Accepted'; readonly messageId: string } | AcceptFailure;

export interface AcceptNotificationSettings {
  /** The exchange the relay is configured to publish to, recorded with the row. */
  readonly exchange: string;
}

/**
 * Accepts a notification of either kind: validates the body against the kind's codec and the
 * code lists, and appends it with its requestId to the outbox. Only the relay talks to the broker.
 */
export class AcceptNotification {
  constructor(
    private readonly codeLists: CodeLists,
    private readonly unitOfWork: UnitOfWork,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly settings: AcceptNotificationSettings,
  ) {}

  async execute(command: AcceptNotificationCommand): Promise<AcceptNotificationResult> {
    const receivedAt = this.clock.now();
    const validated = this.validate(command.kind, command.body, receivedAt);
    if (validated._tag === 'InvalidNotification') return validated;

    const message: OutboxMessage = {
      messageId: this.ids.uuid(),
      requestId: command.requestId,
      kind: command.kind,
      ...validated.fields,
      clientId: command.clientId,
      clientCertSubject: command.clientCertSubject,
      receivedAt,
      exchange: this.settings.exchange,
      ...(command.traceContext !== undefined ? { traceContext: command.traceContext } : {}),
    };
    const outcome = await this.unitOfWork.run(({ outbox }) => outbox.append(message));
    switch (outcome) {
      case 'appended':
        return { _tag: 'Accepted', messageId: message.messageId };
      case 'duplicate-request-id':
        return { _tag: 'DuplicateRequestId' };
      default: {
        const unexpected: never = outcome;
        throw new Error(`unexpected append outcome ${String(unexpected)}`);
      }
    }
  }

  private validate(
    kind: MessageKind,
    body: unknown,
    at: Date,
  ): { _tag: 'InvalidNotification'; violations: Violation[] } | { _tag: 'Valid'; fields: ValidatedFields } {
    const decoded = decodeNotification(kind, body);
    if (isLeft(decoded)) return { _tag: 'InvalidNotification', violations: decoded.left };
    const notification = decoded.right;
    const violations: Violation[] = [];
    for (const { path, field, code } of notification.codes) {
      const violation = this.codeLists.check(field, path, code, at);
      if (violation !== undefined) violations.push(violation);
    }
    const routingKey = routingKeyFor(kind, notification.envelope.jobCenterKode);
    if (utf8Length(routingKey) > MAX_ROUTING_KEY_BYTES) {
      violations.push({
        path: `${notification.rootProperty}.jobCenterKode`,
        fejlkode: FEJL.invalidMessage.fejlkode,
        message: 'is too long to route: the routing key would exceed 255 bytes',
      });
    }
    if (violations.length > 0) return { _tag: 'InvalidNotification', violations };

    const registreringsDato = parseDateTime(notification.envelope.registreringsDato);
    if (registreringsDato === undefined) {
      throw new Error('a decoded DateTime did not parse: the codec and the parser disagree');
    }
    return {
      _tag: 'Valid',
      fields: {
        eksternIdentifier: notification.envelope.eksternIdentifier.toLowerCase(),
        jobCenterKode: notification.envelope.jobCenterKode,
        registreringsDato,
        aendringstype: notification.aendringstype,
        routingKey,
        payload: notification.payload,
      },
    };
  }
}

type ValidatedFields = Pick<
  OutboxMessage,
  'eksternIdentifier' | 'jobCenterKode' | 'registreringsDato' | 'aendringstype' | 'routingKey' | 'payload'
>;

const utf8 = new TextEncoder();
function utf8Length(text: string): number {
  return utf8.encode(text).length;
}
