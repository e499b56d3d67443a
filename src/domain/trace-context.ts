/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` and `tracestate`
 * headers that let one notification be followed from VITAS's request, through the outbox, to the
 * consumer. Only version 00 is produced; a later version is read by its first four fields, as the
 * recommendation asks.
 */

/** What the gateway publishes: version 00, lower-case hex, ids not all zeros. */
export const TRACEPARENT_PATTERN = '^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$';

/** At most 32 list members of at most 256 characters each, so 512 is the recommended cut-off. */
export const TRACESTATE_MAX_LENGTH = 512;

export interface TraceContext {
  readonly traceparent: string;
  /** Kept only when the request carried a valid traceparent with it. */
  readonly tracestate?: string | undefined;
}

const INCOMING = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/** The request's trace context, or undefined when its traceparent is absent or invalid. */
export function parseTraceContext(
  traceparent: string | undefined,
  tracestate: string | undefined,
):
  | {
      readonly traceId: string;
      readonly parentId: string;
      readonly flags: string;
      readonly tracestate?: string;
    }
  | undefined {
  if (traceparent === undefined) return undefined;
  const match = INCOMING.exec(traceparent.trim());
  if (match === null) return undefined;
  const [, version, traceId, parentId, flags, rest] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string | undefined,
  ];
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE || parentId === ZERO_SPAN) return undefined;
  const state = tracestate?.trim();
  return {
    traceId,
    parentId,
    flags,
    ...(state !== undefined &&
    state !== '' &&
    state.length <= TRACESTATE_MAX_LENGTH &&
    isPrintableAscii(state)
      ? { tracestate: state }
      : {}),
  };
}

export function formatTraceparent(traceId: string, spanId: string, flags: string): string {
  return `00-${traceId}-${spanId}-${flags}`;
}

export function traceIdOf(traceparent: string): string | undefined {
  return INCOMING.exec(traceparent)?.[2];
}

function isPrintableAscii(text: string): boolean {
  return /^[\x20-\x7e]*$/.test(text);
}
