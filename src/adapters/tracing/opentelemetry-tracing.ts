import {
  type Context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  type Link,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import type {
  ClaimedBatch,
  MessagePublisher,
  OutboxRelayStore,
  PublishOutcome,
  RelayMessage,
} from '../../application/relay/ports';
import type { TraceContext } from '../../domain/trace-context';
import type { RequestSpan, RequestTracing } from '../../application/intake/request-tracing';

/**
 * Spans for the intake and the relay with the OpenTelemetry SDK, exported over OTLP/HTTP. Used
 * only when OTEL_EXPORTER_OTLP_ENDPOINT is set (or a test hands in an exporter); otherwise the
 * gateway only propagates the header (request-tracing.ts).
 *
 * The spans: `POST <route>` (server) per intake request, continuing its traceparent; `outbox claim`
 * per relay batch, linked to the intake span of every message it carries; `<routing key> publish`
 * (producer) per message, a child of the intake span (so the message keeps the request's trace id),
 * ended by the broker's confirm or the failure. Attributes never carry a value from a payload:
 * route templates, status codes, message ids, routing keys (a jobcenter code), counts and outcomes.
 */
export class OpenTelemetryTracing implements RequestTracing {
  private readonly provider: TracerProvider;
  private readonly tracer: Tracer;
  private readonly propagator = new W3CTraceContextPropagator();

  constructor(options: {
    readonly exporter?: SpanExporter;
    readonly processor?: SpanProcessor;
    readonly serviceName?: string;
  }) {
    const processor =
      options.processor ?? new BatchSpanProcessor({ exporter: options.exporter ?? new OTLPTraceExporter() });
    this.provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': options.serviceName ?? 'wsb-gateway' }),
      spanProcessors: [processor],
    });
    this.tracer = this.provider.getTracer('wsb-gateway');
  }

  /** From the environment: undefined when OTEL_EXPORTER_OTLP_ENDPOINT is not set. */
  static fromEnvironment(
    env: Readonly<Record<string, string | undefined>> = process.env,
  ): OpenTelemetryTracing | undefined {
    const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
    if (endpoint === undefined || endpoint === '') return undefined;
    // The exporter reads the endpoint, headers and timeout from the standard OTEL_* variables.
    return new OpenTelemetryTracing({ serviceName: env.OTEL_SERVICE_NAME || 'wsb-gateway' });
  }

  startRequest(traceparent: string | undefined, tracestate: string | undefined): RequestSpan {
    const parent = this.extract(traceparent, tracestate);
    const span = this.tracer.startSpan(
      'POST',
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'POST' } },
      parent,
    );
    return {
      context: this.inject(trace.setSpan(parent, span)),
      end: (route, status) => {
        span.updateName(`POST ${route}`);
        span.setAttribute('http.route', route);
        span.setAttribute('http.response.status_code', status);
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      },
    };
  }

  /** The relay's store with a span per claim, linked to each claimed message's intake span. */
  traceStore(store: OutboxRelayStore): OutboxRelayStore {
    return {
      // Arguments are spread, never listed: a wrapper that names fewer parameters than the port
      // still type-checks, and silently drops the rest (it once dropped `chain`).
      claim: async (...args): Promise<ClaimedBatch> => {
        const started = Date.now();
        const batch = await store.claim(...args);
        if (batch.messages.length === 0) return batch;
        const links: Link[] = [];
        for (const m of batch.messages) {
          const context = trace.getSpanContext(this.extract(m.traceparent, m.tracestate));
          if (context !== undefined) links.push({ context });
        }
        const span = this.tracer.startSpan('outbox claim', {
          kind: SpanKind.INTERNAL,
          startTime: started,
          links,
          attributes: { 'wsb.batch.size': batch.messages.length },
        });
        span.end();
        return batch;
      },
    };
  }

  /** The publisher with a producer span per message, whose context the message carries. */
  tracePublisher(publisher: MessagePublisher): MessagePublisher {
    return {
      ready: (...args) => publisher.ready(...args),
      publish: async (...[messages, ...rest]): Promise<PublishOutcome[]> => {
        const spans: Span[] = [];
        const traced: RelayMessage[] = messages.map((m) => {
          const parent = this.extract(m.traceparent, m.tracestate);
          const span = this.tracer.startSpan(
            `${m.routingKey} publish`,
            {
              kind: SpanKind.PRODUCER,
              attributes: {
                'messaging.system': 'rabbitmq',
                'messaging.operation.type': 'send',
                'messaging.destination.name': m.exchange,
                'messaging.rabbitmq.destination.routing_key': m.routingKey,
                'messaging.message.id': m.messageId,
                'wsb.attempts': m.attempts,
              },
            },
            parent,
          );
          spans.push(span);
          const context = this.inject(trace.setSpan(parent, span));
          return { ...m, traceparent: context.traceparent, tracestate: context.tracestate };
        });
        const outcomes = await publisher.publish(traced, ...rest);
        outcomes.forEach((outcome, i) => {
          const span = spans[i];
          if (span === undefined) return;
          if (outcome.ok) {
            span.addEvent('confirmed');
          } else {
            span.setAttribute('wsb.publish.failure', outcome.reason);
            span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.reason });
          }
          span.end();
        });
        return outcomes;
      },
    };
  }

  async shutdown(): Promise<void> {
    await this.provider.shutdown();
  }

  private extract(traceparent: string | undefined, tracestate: string | undefined): Context {
    if (traceparent === undefined) return ROOT_CONTEXT;
    const carrier: Record<string, string> = { traceparent };
    if (tracestate !== undefined) carrier.tracestate = tracestate;
    return this.propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
  }

  private inject(context: Context): TraceContext {
    const carrier: Record<string, string> = {};
    this.propagator.inject(context, carrier, defaultTextMapSetter);
    const traceparent = carrier.traceparent;
    if (traceparent === undefined) throw new Error('no traceparent injected: invalid span context');
    return { traceparent, ...(carrier.tracestate !== undefined ? { tracestate: carrier.tracestate } : {}) };
  }
}
