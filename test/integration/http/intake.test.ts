import { expect } from 'chai';
import { sql } from 'kysely';
import { gdprSlettetNotifikation, ordningsnotifikation } from '../../support/fixtures';
import { GDPR_PATH, intakeOverDatabase, ORDNINGS_PATH, post } from '../../support/intake';

describe('intake over HTTP against PostgreSQL', () => {
  const fixture = intakeOverDatabase();

  const rowsFor = async (requestId: string) =>
    fixture.database.db.selectFrom('outbox_audit').selectAll().where('request_id', '=', requestId).execute();

  it('answers 200 with an empty body and writes the row with its metadata', async () => {
    const response = await post(fixture.intake.baseUrl, ORDNINGS_PATH, {
      token: fixture.token,
      requestId: 'it-ok-1',
      body: ordningsnotifikation({}, { ukendtFelt: 'dropped' }),
    });
    expect(response.status).to.equal(200);
    expect(response.text).to.equal('');
    const rows = await rowsFor('it-ok-1');
    expect(rows).to.have.length(1);
    const row = rows[0]!;
    expect(row.message_type).to.equal('Ordningsnotifikation');
    expect(row.ekstern_identifier).to.equal('3f2b8a4e-1c2d-4e5f-9a8b-7c6d5e4f3a2b');
    expect(row.jobcenter_kode).to.equal('10101');
    expect(row.aendringstype).to.equal('Oprettelse');
    expect(row.client_id).to.equal('vitas-test-client');
    expect(row.routing_key).to.equal('ordningsnotifikation.10101');
    expect(row.status).to.equal('pending');
    expect(row.registrerings_dato.toISOString()).to.equal('2025-03-01T09:15:30.000Z');
    expect(row.message_id).to.match(/^[0-9a-f-]{36}$/);
    const payload = row.payload as { ordningsnotifikation: { body: Record<string, unknown> } };
    expect(payload.ordningsnotifikation.body).to.not.have.property('ukendtFelt');
  });

  it('accepts a GDPR notification and routes it by jobcenter', async () => {
    const response = await post(fixture.intake.baseUrl, GDPR_PATH, {
      token: fixture.token,
      requestId: 'it-gdpr-1',
      body: gdprSlettetNotifikation(),
    });
    expect(response.status).to.equal(200);
    const [row] = await rowsFor('it-gdpr-1');
    expect(row?.message_type).to.equal('GdprSlettetNotifikation');
    expect(row?.aendringstype).to.equal('Sletning');
    expect(row?.routing_key).to.equal('gdprslettetnotifikation.10101');
  });

  it('answers 412 for a requestId used before, on either endpoint, and writes nothing', async () => {
    expect(
      (
        await post(fixture.intake.baseUrl, ORDNINGS_PATH, {
          token: fixture.token,
          requestId: 'it-dup-1',
          body: ordningsnotifikation(),
        })
      ).status,
    ).to.equal(200);
    const again = await post(fixture.intake.baseUrl, ORDNINGS_PATH, {
      token: fixture.token,
      requestId: 'it-dup-1',
      body: ordningsnotifikation(),
    });
    expect(again.status).to.equal(412);
    expect(again.headers.get('content-type')).to.match(/^application\/problem\+json/);
    expect(again.json().requestId).to.equal('it-dup-1');
    const otherEndpoint = await post(fixture.intake.baseUrl, GDPR_PATH, {
      token: fixture.token,
      requestId: 'it-dup-1',
      body: gdprSlettetNotifikation(),
    });
    expect(otherEndpoint.status).to.equal(412);
    expect(await rowsFor('it-dup-1')).to.have.length(1);
  });

  it('gives exactly one 200 and 49 × 412 for 50 concurrent requests with one requestId', async () => {
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        post(fixture.intake.baseUrl, i % 2 === 0 ? ORDNINGS_PATH : GDPR_PATH, {
          token: fixture.token,
          requestId: 'it-race-1',
          body: i % 2 === 0 ? ordningsnotifikation() : gdprSlettetNotifikation(),
        }),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).to.have.length(1);
    expect(statuses.filter((s) => s === 412)).to.have.length(49);
    expect(await rowsFor('it-race-1')).to.have.length(1);
  });

  it('does not use up a requestId on a request that fails validation', async () => {
    const bad = await post(fixture.intake.baseUrl, ORDNINGS_PATH, {
      token: fixture.token,
      requestId: 'it-retry-1',
      body: ordningsnotifikation({ eksternIdentifier: 'not-a-uuid' }),
    });
    expect(bad.status).to.equal(400);
    expect(await rowsFor('it-retry-1')).to.have.length(0);
    const good = await post(fixture.intake.baseUrl, ORDNINGS_PATH, {
      token: fixture.token,
      requestId: 'it-retry-1',
      body: ordningsnotifikation(),
    });
    expect(good.status).to.equal(200);
  });

  it('keeps every row of a burst of distinct requests', async () => {
    const n = 300;
    const responses = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        post(fixture.intake.baseUrl, ORDNINGS_PATH, {
          token: fixture.token,
          requestId: `it-burst-${i}`,
          body: ordningsnotifikation(),
        }),
      ),
    );
    expect(responses.every((r) => r.status === 200)).to.equal(true);
    const { rows } = await sql<{
      n: string;
    }>`select count(*) as n from outbox where request_id like 'it-burst-%'`.execute(fixture.database.db);
    expect(Number(rows[0]?.n)).to.equal(n);
  });
});
