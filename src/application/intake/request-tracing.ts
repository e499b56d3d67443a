import type { TraceContext } from '../../domain/trace-context';

/** One intake request's place in a trace: the context stored with its row, and its end. */
export interface RequestSpan {
  readonly context: TraceContext;
  end(route: string, status: number): void;
}

/** How the intake joins a request to a trace (the driving adapter asks; OpenTelemetry or none answers). */
export interface RequestTracing {
  startRequest(traceparent: string | undefined, tracestate: string | undefined): RequestSpan;
}
