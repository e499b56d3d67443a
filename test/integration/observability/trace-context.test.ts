import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import type { ConsumeMessage } from 'amqplib';
import { expect } from 'chai';
import { sql } from 'kysely';
import { GroupCommitUnitOfWork } from '../../../src/adapters/postgres/group-commit-unit-of-work';
import { OpenTelemetryTracing } from '../../../src/adapters/tracing/opentelemetry-tracing';
import { traceIdOf } from '../../../src/domain/trace-context';
import { asyncApiValidator } from '../../support/asyncapi';
import {
  FICTITIOUS_CPR,
  FICTITIOUS_CPR_2,
  gdprSlettetNotifikation,
  ordningsnotifikation,
} from '../../support/fixtures';
import { GDPR_PATH, ORDNINGS_PATH, post, type RunningIntake, startIntake } from '../../support/intake';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { deleteTopology, TestConsumer, uniqueName } from '../../support/rabbitmq';
import { type RunningRelay, startRelayInProcess } from '../../support/relay';
import { TestIdentityProvider } from '../../support/tokens';

const VITAS_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const VITAS_SPAN = '00f067aa0ba902b7';

/** What a consumer receives, checked against the AsyncAPI document: body, headers and properties. */
function expectValidAgainstAsyncApi(message: ConsumeMessage): void {
  const kind = message.properties.type as 'Ordningsnotifikation' | 'GdprSlettetNotifikation';
  const payload =
    kind === 'Ordningsnotifikation'
      ? 'SendOrdningsnotifikationRequestDto'
      : 'DispatchGdprDeletedNotificationRequestDto';
  const checks: Array<[string, unknown]> = [
    [payload, JSON.parse(message.content.toString('utf8'))],
    [`${kind}Headers`, message.properties.headers],
    [`${kind}Properties`, JSON.parse(JSON.stringify(message.properties))],
  ];
  for (const [component, value] of checks) {
    const validate = asyncApiValidator(component);
    expect(validate(value), `${component}: ${JSON.stringify(validate.errors)}`).to.equal(true);
  }
}

for (const tracingOn of [false, true]) {
  describe(`trace context end to end, OpenTelemetry ${tracingOn ? 'on (in-memory exporter)' : 'off'}`, function () {
    this.timeout(60_000);
    let database: TestDatabase;
    let intake: RunningIntake;
    let relay: RunningRelay;
    let consumer: TestConsumer;
    let token: string;
    const exporter = new InMemorySpanExporter();
    const tracing = tracingOn
      ? new OpenTelemetryTracing({ processor: new SimpleSpanProcessor({ exporter }) })
      : undefined;
    const exchange = uniqueName('wsb.trace');
    const queue = uniqueName('wsb.trace.q');

    before(async () => {
      database = await createTestDatabase();
      const idp = await TestIdentityProvider.create();
      token = await idp.token();
      intake = await startIntake({
        unitOfWork: new GroupCommitUnitOfWork(database.db, { maxBatchSize: 10, maxConcurrentBatches: 2 }),
        authenticator: idp.authenticator(),
        exchange,
        ...(tracing !== undefined ? { tracing } : {}),
      });
      relay = await startRelayInProcess({
        db: database.db,
        exchange,
        queues: [{ name: queue, bindingKey: '#', type: 'classic' }],
        ...(tracing !== undefined ? { tracing } : {}),
      });
      await relay.publisher.ready(AbortSignal.timeout(20_000));
      consumer = await TestConsumer.start(queue);
    });

    after(async () => {
      await consumer?.close();
      await relay?.stop();
      await intake?.close();
      await tracing?.shutdown();
      await deleteTopology(exchange, [queue]);
      await database?.drop();
    });

    it('continues the request traceparent into the outbox row and the published message; starts one when there is none', async () => {
      const incoming = `00-${VITAS_TRACE}-${VITAS_SPAN}-01`;
      const withTrace = await post(intake.baseUrl, ORDNINGS_PATH, {
        token,
        requestId: `trace-1-${tracingOn}`,
        body: ordningsnotifikation(),
        headers: { traceparent: incoming, tracestate: 'vitas=t61rcWkgMzE' },
      });
      expect(withTrace.status).to.equal(200);
      const without = await post(intake.baseUrl, GDPR_PATH, {
        token,
        requestId: `trace-2-${tracingOn}`,
        body: gdprSlettetNotifikation(),
      });
      expect(without.status).to.equal(200);
      const invalid = await post(intake.baseUrl, ORDNINGS_PATH, {
        token,
        requestId: `trace-3-${tracingOn}`,
        body: ordningsnotifikation({ eksternIdentifier: '11111111-2222-4333-8444-555555555555' }),
        headers: { traceparent: `00-${'0'.repeat(32)}-${VITAS_SPAN}-01` },
      });
      expect(invalid.status).to.equal(200);
      await consumer.waitFor(3, 30_000);

      const byRequest = new Map(consumer.messages.map((m) => [m.properties.correlationId as string, m]));
      const first = byRequest.get(`trace-1-${tracingOn}`)!;
      const second = byRequest.get(`trace-2-${tracingOn}`)!;
      const third = byRequest.get(`trace-3-${tracingOn}`)!;
      const headers = (m: ConsumeMessage) => m.properties.headers as Record<string, string>;
      expect(traceIdOf(headers(first).traceparent ?? '')).to.equal(VITAS_TRACE);
      expect(headers(first).tracestate).to.equal('vitas=t61rcWkgMzE');
      if (!tracingOn) expect(headers(first).traceparent).to.equal(incoming);
      else expect(headers(first).traceparent).to.not.equal(incoming); // the publish span's own id
      for (const started of [second, third]) {
        const traceId = traceIdOf(headers(started).traceparent ?? '');
        expect(traceId).to.match(/^[0-9a-f]{32}$/);
        expect(traceId).to.not.equal(VITAS_TRACE).and.not.equal('0'.repeat(32));
        expect(headers(started)).to.not.have.property('tracestate');
      }
      for (const m of [first, second, third]) expectValidAgainstAsyncApi(m);

      // The row keeps it, shown after the columns outbox_audit had before (so auditors' column positions
      // hold), followed only by the redaction record that migration 0007 added after it.
      const audit = await sql<Record<string, unknown>>`
        select * from outbox_audit where request_id = ${`trace-1-${tracingOn}`}`.execute(database.db);
      const row = audit.rows[0]!;
      expect(Object.keys(row).slice(-4)).to.deep.equal([
        'traceparent',
        'tracestate',
        'redaction_reason',
        'redacted_by',
      ]);
      expect(traceIdOf(row.traceparent as string)).to.equal(VITAS_TRACE);
    });

    if (tracingOn) {
      it('exports spans for the request, the claim (linked to the request) and the publish (its child, ended by the confirm)', () => {
        const spans = exporter.getFinishedSpans();
        const inTrace = spans.filter((s) => s.spanContext().traceId === VITAS_TRACE);
        const server = inTrace.find((s) => s.kind === SpanKind.SERVER);
        const publish = inTrace.find((s) => s.kind === SpanKind.PRODUCER);
        expect(server?.name).to.equal(`POST ${ORDNINGS_PATH}`);
        expect(server?.parentSpanContext?.spanId).to.equal(VITAS_SPAN);
        expect(server?.attributes['http.response.status_code']).to.equal(200);
        expect(publish?.name).to.equal('ordningsnotifikation.10101 publish');
        expect(publish?.parentSpanContext?.spanId).to.equal(server?.spanContext().spanId);
        expect(publish?.events.map((e) => e.name)).to.include('confirmed');
        const claims = spans.filter((s) => s.name === 'outbox claim');
        expect(
          claims.some((c) => c.links.some((l) => l.context.spanId === server?.spanContext().spanId)),
          'a claim span links to the intake span',
        ).to.equal(true);
      });

      it('puts no personal data, token or payload value in any span', () => {
        const spans: ReadableSpan[] = exporter.getFinishedSpans();
        expect(spans.length).to.be.greaterThan(5);
        const everything = JSON.stringify(
          spans.map((s) => ({
            name: s.name,
            attributes: s.attributes,
            events: s.events,
            links: s.links,
            status: s.status,
          })),
        );
        for (const secret of [
          FICTITIOUS_CPR,
          FICTITIOUS_CPR_2,
          '12345678',
          '1234567890',
          'sagsbehandler@jobcenter.example',
          'vitas.example',
          'VITAS-2025-000001',
          token,
        ]) {
          expect(everything).to.not.include(secret);
        }
      });
    }
  });
}
