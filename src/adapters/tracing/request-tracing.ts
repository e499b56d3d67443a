import { randomUUID } from 'node:crypto';
import { formatTraceparent, parseTraceContext, type TraceContext } from '../../domain/trace-context';

/** One intake request's place in a trace: the context stored with its row, and its end. */
export interface RequestSpan {
  readonly context: TraceContext;
  end(route: string, status: number): void;
}

/** How the intake joins a request to a trace. */
export interface RequestTracing {
  startRequest(traceparent: string | undefined, tracestate: string | undefined): RequestSpan;
}

const NOTHING_TO_END = (): void => undefined;

/**
 * Tracing off (no OTEL_EXPORTER_OTLP_ENDPOINT): no spans, only the header. A valid incoming
 * `traceparent` is passed on as it came (normalised to version 00), so the consumer's span is a
 * child of VITAS's; without one a new trace id is drawn, flagged not sampled since nothing here
 * recorded it. One regular expression or two random uuids per request: the whole cost.
 */
export const propagateTraceContext: RequestTracing = {
  startRequest(traceparent, tracestate) {
    const incoming = parseTraceContext(traceparent, tracestate);
    const context: TraceContext =
      incoming === undefined
        ? { traceparent: newTraceparent() }
        : {
            traceparent: formatTraceparent(incoming.traceId, incoming.parentId, incoming.flags),
            ...(incoming.tracestate !== undefined ? { tracestate: incoming.tracestate } : {}),
          };
    return { context, end: NOTHING_TO_END };
  },
};

/** Ids from randomUUID, which Node draws from a cached block of entropy (randomBytes calls OpenSSL each time). */
function newTraceparent(): string {
  const traceId = randomUUID().replaceAll('-', '');
  const spanId = randomUUID().replaceAll('-', '').slice(0, 16);
  return formatTraceparent(traceId, spanId, '00');
}
