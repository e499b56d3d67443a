import https from 'node:https';
import { expect } from 'chai';
import { KyselyUnitOfWork } from '../../support/kysely-unit-of-work';
import { createTestPki, type TestPki } from '../../support/certificates';
import { ordningsnotifikation } from '../../support/fixtures';
import { databaseWithTokens, ORDNINGS_PATH, type RunningIntake, startIntake } from '../../support/intake';

describe('HTTPS on the public port, with and without client certificates', () => {
  const fixture = databaseWithTokens();
  let pki: TestPki;

  before(() => {
    pki = createTestPki();
  });
  after(() => pki.remove());

  function postTls(
    baseUrl: string,
    requestId: string,
    client?: { cert: string; key: string },
  ): Promise<{ status: number }> {
    const body = JSON.stringify(ordningsnotifikation());
    return new Promise((resolve, reject) => {
      const request = https.request(
        `${baseUrl}${ORDNINGS_PATH}`,
        {
          method: 'POST',
          ca: pki.read(pki.caCert),
          ...(client !== undefined ? { cert: pki.read(client.cert), key: pki.read(client.key) } : {}),
          headers: {
            authorization: `Bearer ${fixture.token}`,
            'x-requestId': requestId,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
          agent: false,
        },
        (response) => {
          response.resume();
          response.on('end', () => resolve({ status: response.statusCode ?? 0 }));
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  }

  const subjectOf = async (requestId: string) =>
    (
      await fixture.database.db
        .selectFrom('outbox')
        .select('client_cert_subject')
        .where('request_id', '=', requestId)
        .executeTakeFirst()
    )?.client_cert_subject;

  describe('server certificate only', () => {
    let intake: RunningIntake;
    before(async () => {
      intake = await startIntake({
        unitOfWork: new KyselyUnitOfWork(fixture.database.db),
        authenticator: fixture.idp.authenticator(),
        tls: { certFile: pki.serverCert, keyFile: pki.serverKey, clientCaFile: undefined },
      });
    });
    after(async () => intake.close());

    it('accepts over HTTPS and records no certificate subject', async () => {
      expect(intake.baseUrl).to.match(/^https:/);
      expect(await postTls(intake.baseUrl, 'tls-plain-1')).to.deep.equal({ status: 200 });
      expect(await subjectOf('tls-plain-1')).to.equal(null);
    });
  });

  describe('client certificates required (TLS_CLIENT_CA_FILE)', () => {
    let intake: RunningIntake;
    before(async () => {
      intake = await startIntake({
        unitOfWork: new KyselyUnitOfWork(fixture.database.db),
        authenticator: fixture.idp.authenticator(),
        tls: { certFile: pki.serverCert, keyFile: pki.serverKey, clientCaFile: pki.caCert },
      });
    });
    after(async () => intake.close());

    it('accepts a client with a certificate from the CA and records its subject with the message', async () => {
      expect(
        await postTls(intake.baseUrl, 'tls-client-1', { cert: pki.clientCert, key: pki.clientKey }),
      ).to.deep.equal({ status: 200 });
      expect(await subjectOf('tls-client-1')).to.equal('C=DK, O=VITAS test, CN=vitas-test-client');
    });

    it('refuses the handshake without a client certificate, and nothing is written', async () => {
      const failure = await postTls(intake.baseUrl, 'tls-none-1').then(
        () => undefined,
        (error: NodeJS.ErrnoException) => error,
      );
      expect(failure, 'handshake must fail').to.be.instanceOf(Error);
      expect(await subjectOf('tls-none-1')).to.equal(undefined);
    });

    it('refuses a certificate from another CA', async () => {
      const failure = await postTls(intake.baseUrl, 'tls-rogue-1', {
        cert: pki.rogueCert,
        key: pki.rogueKey,
      }).then(
        () => undefined,
        (error: NodeJS.ErrnoException) => error,
      );
      expect(failure).to.be.instanceOf(Error);
      expect(await subjectOf('tls-rogue-1')).to.equal(undefined);
    });
  });
});
