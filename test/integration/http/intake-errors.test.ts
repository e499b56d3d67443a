import { expect } from 'chai';
import { createHmac } from 'node:crypto';
import { createPublicKey } from 'node:crypto';
import { generateKeyPair } from 'jose';
import { WRITE_SCOPE } from '../../../src/adapters/auth/jwt-authenticator';
import { FICTITIOUS_CPR, gdprSlettetNotifikation, ordningsnotifikation } from '../../support/fixtures';
import { GDPR_PATH, intakeOverDatabase, ORDNINGS_PATH, post } from '../../support/intake';
import { TEST_AUDIENCE, TEST_ISSUER } from '../../support/tokens';

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('intake errors over HTTP against PostgreSQL', () => {
  const fixture = intakeOverDatabase({ bodyLimitBytes: 64 * 1024 });

  const rowCount = async () =>
    (await fixture.database.db.selectFrom('outbox').select('request_id').execute()).length;
  let sequence = 0;
  const nextId = () => `err-${++sequence}`;

  describe('authentication and authorisation', () => {
    const now = () => Math.floor(Date.now() / 1000);
    const claims = () => ({
      iss: TEST_ISSUER,
      aud: TEST_AUDIENCE,
      exp: now() + 300,
      iat: now(),
      scope: WRITE_SCOPE,
      client_id: 'attacker',
    });

    const cases: Array<[string, () => Promise<Record<string, string>>]> = [
      ['no token', () => Promise.resolve({})],
      ['a malformed authorization header', () => Promise.resolve({ authorization: 'Basic dXNlcjpwYXNz' })],
      ['a malformed token', () => Promise.resolve({ authorization: 'Bearer not.a.jwt' })],
      [
        'an expired token',
        async () => ({ authorization: `Bearer ${await fixture.idp.token({ expiresIn: now() - 60 })}` }),
      ],
      [
        'a wrong issuer',
        async () => ({
          authorization: `Bearer ${await fixture.idp.token({ issuer: 'https://evil.example/' })}`,
        }),
      ],
      [
        'a wrong audience',
        async () => ({ authorization: `Bearer ${await fixture.idp.token({ audience: 'someone-else' })}` }),
      ],
      [
        'a token signed with an untrusted key',
        async () => {
          const { privateKey } = await generateKeyPair('RS256');
          return { authorization: `Bearer ${await fixture.idp.token({ signingKey: privateKey })}` };
        },
      ],
      [
        'alg: none',
        () =>
          Promise.resolve({
            authorization: `Bearer ${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims())}.`,
          }),
      ],
      [
        'HS256 signed with the public key',
        () => {
          const pem = createPublicKey({
            key: fixture.idp.publicJwk as import('node:crypto').JsonWebKey,
            format: 'jwk',
          })
            .export({ type: 'spki', format: 'pem' })
            .toString();
          const signingInput = `${b64url({ alg: 'HS256', typ: 'JWT', kid: 'test-key' })}.${b64url(claims())}`;
          const signature = createHmac('sha256', pem).update(signingInput).digest('base64url');
          return Promise.resolve({ authorization: `Bearer ${signingInput}.${signature}` });
        },
      ],
    ];

    for (const [name, headers] of cases) {
      it(`answers 401 with fejlkode 1012 for ${name}, and writes nothing`, async () => {
        const before = await rowCount();
        const response = await post(fixture.intake.baseUrl, ORDNINGS_PATH, {
          requestId: nextId(),
          body: ordningsnotifikation(),
          headers: await headers(),
        });
        expect(response.status).to.equal(401);
        expect(response.headers.get('www-authenticate')).to.match(/^Bearer/);
        expect(response.headers.get('content-type')).to.match(/^application\/problem\+json/);
        expect(response.json()).to.include({ status: 401, fejlkode: 1012, fejltekst: 'Logon failed' });
        expect(await rowCount()).to.equal(before);
      });
    }

    it('answers 403 with fejlkode 4575 for a valid token without the scope', async () => {
      const response = await post(fixture.intake.baseUrl, ORDNINGS_PATH, {
        token: await fixture.idp.token({ claims: { scope: 'something.else other.scope' } }),
        requestId: nextId(),
        body: ordningsnotifikation(),
      });
      expect(response.status).to.equal(403);
      expect(response.json()).to.include({
        fejlkode: 4575,
        fejltekst: 'You are not authorized to execute the operation',
      });
    });

    it('accepts the scope as an array in scope or scp', async () => {
      for (const claimsWithScope of [
        { scope: ['x', WRITE_SCOPE] },
        { scope: undefined, scp: [WRITE_SCOPE] },
      ]) {
        const response = await post(fixture.intake.baseUrl, GDPR_PATH, {
          token: await fixture.idp.token({ claims: claimsWithScope }),
          requestId: nextId(),
          body: gdprSlettetNotifikation(),
        });
        expect(response.status).to.equal(200);
      }
    });

    it('records sub as the client when the token has no client_id', async () => {
      const requestId = nextId();
      const response = await post(fixture.intake.baseUrl, ORDNINGS_PATH, {
        token: await fixture.idp.token({ claims: { client_id: undefined } }),
        requestId,
        body: ordningsnotifikation(),
      });
      expect(response.status).to.equal(200);
      const row = await fixture.database.db
        .selectFrom('outbox')
        .select('client_id')
        .where('request_id', '=', requestId)
        .executeTakeFirst();
      expect(row?.client_id).to.equal('vitas-test-subject');
    });

    it('checks authentication before the x-requestId', async () => {
      const response = await post(fixture.intake.baseUrl, ORDNINGS_PATH, { body: ordningsnotifikation() });
      expect(response.status).to.equal(401);
    });
  });

  describe('x-requestId', () => {
    it('answers 400 when it is missing', async () => {
      const response = await post(fixture.intake.baseUrl, ORDNINGS_PATH, {
        token: fixture.token,
        body: ordningsnotifikation(),
      });
      expect(response.status).to.equal(400);
      expect(response.json()).to.deep.include({ fejlkode: 1014 });
      expect((response.json().errors as Array<{ path: string }>)[0]?.path).to.equal('x-requestId');
    });

    it('answers 400 for 47 characters and accepts 46', async () => {
      const tooLong = await post(fixture.intake.baseUrl, ORDNINGS_PATH, {
        token: fixture.token,
        requestId: 'a'.repeat(47),
        body: ordningsnotifikation(),
      });
      expect(tooLong.status).to.equal(400);
      expect(tooLong.json()).to.not.have.property('requestId');
      const longest = await post(fixture.intake.baseUrl, ORDNINGS_PATH, {
        token: fixture.token,
        requestId: 'b'.repeat(46),
        body: ordningsnotifikation(),
      });
      expect(longest.status).to.equal(200);
    });

    it('is checked before the media type', async () => {
      const response = await post(fixture.intake.baseUrl, ORDNINGS_PATH, {
        token: fixture.token,
        rawBody: 'x',
        contentType: 'text/plain',
      });
      expect(response.status).to.equal(400);
    });
  });

  describe('media type, size and JSON', () => {
    it('answers 415 for a body that is not JSON', async () => {
      const before = await rowCount();
      const response = await post(fixture.intake.baseUrl, ORDNINGS_PATH, {
        token: fixture.token,
        requestId: nextId(),
        rawBody: JSON.stringify(ordningsnotifikation()),
        contentType: 'text/plain',
      });
      expect(response.status).to.equal(415);
      expect(response.headers.get('content-type')).to.match(/^application\/problem\+json/);
      expect(await rowCount()).to.equal(before);
    });

    it('accepts application/json with a charset', async () => {
      const response = await post(fixture.intake.baseUrl, ORDNINGS_PATH, {
        token: fixture.token,
        requestId: nextId(),
        body: ordningsnotifikation(),
        contentType: 'application/json; charset=utf-8',
      });
      expect(response.status).to.equal(200);
    });

    it('answers 413 for a body over the limit', async () => {
      const before = await rowCount();
      const response = await post(fixture.intake.baseUrl, ORDNINGS_PATH, {
        token: fixture.token,
        requestId: nextId(),
        body: ordningsnotifikation({}, { vitasDybtLink: 'x'.repeat(70 * 1024) }),
      });
      expect(response.status).to.equal(413);
      expect(await rowCount()).to.equal(before);
    });

    it('answers 400 for malformed JSON without echoing it', async () => {
      const response = await post(fixture.intake.baseUrl, ORDNINGS_PATH, {
        token: fixture.token,
        requestId: nextId(),
        rawBody: `{"ordningsnotifikation": {"cprNummer": "${FICTITIOUS_CPR}"`,
      });
      expect(response.status).to.equal(400);
      expect(response.json()).to.include({ fejlkode: 1014 });
      expect(response.text).to.not.include(FICTITIOUS_CPR);
    });

    it('answers 400 listing every violation with its path, never the values', async () => {
      const response = await post(fixture.intake.baseUrl, ORDNINGS_PATH, {
        token: fixture.token,
        requestId: nextId(),
        body: ordningsnotifikation(
          { eksternIdentifier: FICTITIOUS_CPR, erOprettelse: 'ja' },
          { cvrNummer: '', cprNummer: Number(FICTITIOUS_CPR) },
        ),
      });
      expect(response.status).to.equal(400);
      const paths = (response.json().errors as Array<{ path: string }>).map((e) => e.path).sort();
      expect(paths).to.deep.equal([
        'ordningsnotifikation.body.cprNummer',
        'ordningsnotifikation.body.cvrNummer',
        'ordningsnotifikation.eksternIdentifier',
        'ordningsnotifikation.erOprettelse',
      ]);
      expect(response.text).to.not.include(FICTITIOUS_CPR);
      expect(response.text).to.not.include(String(Number(FICTITIOUS_CPR)));
    });

    it('answers 404 and 405 as problems', async () => {
      const missing = await fetch(`${fixture.intake.baseUrl}/v1/Webservicebesked/Nothing`, {
        method: 'POST',
      });
      expect(missing.status).to.equal(404);
      const wrongMethod = await fetch(`${fixture.intake.baseUrl}${ORDNINGS_PATH}`);
      expect(wrongMethod.status).to.equal(405);
      expect(wrongMethod.headers.get('allow')).to.equal('POST');
    });
  });
});
