import { Parser } from '@asyncapi/parser';
import { expect } from 'chai';
import fc from 'fast-check';
import { isRight } from 'fp-ts/lib/Either';
import Koa from 'koa';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { asyncApiText, createDocumentationRouter } from '../../../src/adapters/http/documentation-router';
import { REQUEST_EXAMPLES } from '../../../src/adapters/http/request-examples';
import { decodeNotification, type MessageKind } from '../../../src/domain/notification';
import { asyncApiValidator } from '../../support/asyncapi';

type Schema = Record<string, unknown>;

const PAYLOAD: Record<MessageKind, string> = {
  Ordningsnotifikation: 'SendOrdningsnotifikationRequestDto',
  GdprSlettetNotifikation: 'DispatchGdprDeletedNotificationRequestDto',
};

describe('adapters/http/asyncapi: the messages on RabbitMQ, described', () => {
  it('parses with @asyncapi/parser without errors', async () => {
    const { document, diagnostics } = await new Parser().parse(asyncApiText());
    const errors = diagnostics.filter((d) => d.severity === 0);
    expect(errors.map((e) => `${e.path.join('.')}: ${e.message}`)).to.deep.equal([]);
    expect(document?.version()).to.equal('3.0.0');
    expect(
      document
        ?.channels()
        .all()
        .map((c) => c.address()),
    ).to.have.members(['ordningsnotifikation.{jobCenterKode}', 'gdprslettetnotifikation.{jobCenterKode}']);
  });

  it('is checked in as docs/asyncapi.json, up to date (npm run docs:asyncapi writes it)', () => {
    const checkedIn = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'asyncapi.json'), 'utf8');
    expect(checkedIn, 'docs/asyncapi.json is stale: run npm run docs:asyncapi').to.equal(asyncApiText());
  });

  it('is served at /asyncapi.json, the same document as docs/asyncapi.json', async () => {
    const app = new Koa();
    app.use(createDocumentationRouter().routes());
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const response = await fetch(
        `http://127.0.0.1:${(server.address() as AddressInfo).port}/asyncapi.json`,
      );
      expect(response.status).to.equal(200);
      expect(response.headers.get('content-type')).to.match(/^application\/json/);
      const served = await response.text();
      expect(served).to.equal(
        readFileSync(join(__dirname, '..', '..', '..', 'docs', 'asyncapi.json'), 'utf8'),
      );
    } finally {
      server.close();
    }
  });

  for (const kind of ['Ordningsnotifikation', 'GdprSlettetNotifikation'] as const) {
    it(`${kind}: the payload schema cannot drift from the codec (what the codec accepts and publishes validates; what the schema accepts, the codec accepts)`, () => {
      const validate = asyncApiValidator(PAYLOAD[kind]);
      const example = REQUEST_EXAMPLES[PAYLOAD[kind]] as Schema;
      const root = Object.keys(example)[0] as string;
      const envelope = example[root] as Schema;
      const body = envelope.body as Schema;
      const leaf = fc.oneof(
        fc.constant(undefined),
        fc.constant(null),
        fc.integer({ min: -2, max: 10_000_002 }),
        fc.constantFrom('12', '0101010000', '', 'x', '2025-03-01T10:15:30', '2025-13-01T10:15:30Z'),
        fc.uuid(),
        fc.boolean(),
        fc.array(fc.oneof(fc.uuid(), fc.string(), fc.integer()), { maxLength: 3 }),
      );
      const mutated = fc
        .record({
          envelopeKey: fc.constantFrom(...Object.keys(envelope).filter((k) => k !== 'body')),
          envelopeValue: leaf,
          bodyKey: fc.constantFrom(...Object.keys(body)),
          bodyValue: leaf,
          mutateEnvelope: fc.boolean(),
        })
        .map((m) => {
          const nextBody = { ...body, [m.bodyKey]: m.bodyValue };
          const nextEnvelope: Schema = { ...envelope, body: nextBody };
          if (m.mutateEnvelope) nextEnvelope[m.envelopeKey] = m.envelopeValue;
          return JSON.parse(JSON.stringify({ [root]: nextEnvelope })) as unknown;
        });
      fc.assert(
        fc.property(mutated, (request) => {
          const decoded = decodeNotification(kind, request);
          if (isRight(decoded)) {
            // What the relay would publish: the accepted body as stored (JSON round trip).
            const published = JSON.parse(JSON.stringify(decoded.right.payload)) as unknown;
            if (!validate(published)) {
              throw new Error(
                `published ${JSON.stringify(published)} fails: ${JSON.stringify(validate.errors)}`,
              );
            }
          } else if (validate(request)) {
            throw new Error(`the schema accepts what the codec refuses: ${JSON.stringify(request)}`);
          }
        }),
        { numRuns: 1500 },
      );
    });
  }
});
