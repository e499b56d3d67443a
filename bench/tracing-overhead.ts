/**
 * `npx tsx bench/tracing-overhead.ts`: CPU time per intake request spent on trace context, tracing
 * off (header only) and on (an OpenTelemetry server span, batch processor, an exporter that drops
 * everything, so only the gateway's side is measured). Steadier than the HTTP benchmark on a shared
 * machine; compare with the intake's CPU time per request (1 / requests per second per core).
 */
import { ExportResultCode } from '@opentelemetry/core';
import { BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace';
import { OpenTelemetryTracing } from '../src/adapters/tracing/opentelemetry-tracing';
import type { RequestTracing } from '../src/application/intake/request-tracing';
import { propagateTraceContext } from '../src/adapters/http/request-tracing';

const dropAll: SpanExporter = {
  export: (_spans, done) => done({ code: ExportResultCode.SUCCESS }),
  shutdown: () => Promise.resolve(),
};
const incoming = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

function measure(label: string, tracing: RequestTracing, withHeader: boolean): void {
  const n = 200_000;
  for (let i = 0; i < 20_000; i++)
    tracing.startRequest(withHeader ? incoming : undefined, undefined).end('/r', 200);
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    tracing
      .startRequest(withHeader ? incoming : undefined, undefined)
      .end('/v1/Webservicebesked/SendOrdningsnotifikation', 200);
  }
  const ns = Number(process.hrtime.bigint() - started) / n;
  console.log(`${label.padEnd(44)} ${(ns / 1000).toFixed(2)} µs per request`);
}

async function main(): Promise<void> {
  measure('off, request with traceparent', propagateTraceContext, true);
  measure('off, request without (new trace)', propagateTraceContext, false);
  const on = new OpenTelemetryTracing({ processor: new BatchSpanProcessor({ exporter: dropAll }) });
  measure('on, request with traceparent', on, true);
  measure('on, request without (new trace)', on, false);
  await on.shutdown();
}

void main();
