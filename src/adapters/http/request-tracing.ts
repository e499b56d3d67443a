import { randomUUID } from 'node:crypto';
import type { RequestTracing } from '../../application/intake/request-tracing';
import { formatTraceparent, parseTraceContext, type TraceContext } from '../../domain/trace-context';

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
