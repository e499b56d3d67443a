import { expect } from 'chai';
import { sql } from 'kysely';
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { connect } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { GroupCommitUnitOfWork } from '../../../src/adapters/postgres/group-commit-unit-of-work';
import { FICTITIOUS_CPR, gdprSlettetNotifikation, ordningsnotifikation } from '../../support/fixtures';
import { GDPR_PATH, ORDNINGS_PATH, type RunningIntake, startIntake } from '../../support/intake';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { TestIdentityProvider } from '../../support/tokens';

interface Answer {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly text: string;
}

/**
 * Bytes a JSON library would never produce: compressed bodies that are not, charsets other than
 * UTF-8, invalid UTF-8, non-ASCII header values, requests Node's parser refuses. Each gets a
 * clear 4xx problem, never a 500, and nothing is stored unless it was exactly what was sent.
 */
describe('intake: hostile bytes get a clear 4xx and are never stored altered', () => {
  let database: TestDatabase;
  let intake: RunningIntake;
  let token: string;
  let idp: TestIdentityProvider;
  let unitOfWork: GroupCommitUnitOfWork;
  let port: number;
  let sequence = 0;
  const nextId = () => `hostile-${++sequence}`;
  const batches = { started: 0, split: 0 };

  before(async () => {
    database = await createTestDatabase('wsb_hostile');
    idp = await TestIdentityProvider.create();
    token = await idp.token();
    unitOfWork = new GroupCommitUnitOfWork(
      database.db,
      { maxBatchSize: 100, maxConcurrentBatches: 2 },
      { batchStarted: () => batches.started++, batchSplit: () => batches.split++ },
    );
    intake = await startIntake({
      unitOfWork,
      authenticator: idp.authenticator(),
      bodyLimitBytes: 64 * 1024,
    });
    port = Number(new URL(intake.baseUrl).port);
  });

  after(async () => {
    await intake.close();
    await database.drop();
  });

  /** Sends exactly these bytes as the body; header values are written as the given latin1 text. */
  function send(
    body: Buffer,
    headers: Record<string, string>,
    requestId = nextId(),
    path = ORDNINGS_PATH,
  ): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const request = http.request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path,
          headers: {
            authorization: `Bearer ${token}`,
            'x-requestId': requestId,
            'content-type': 'application/json',
            'content-length': String(body.length),
            ...headers,
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (c: Buffer) => chunks.push(c));
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              contentType: response.headers['content-type'],
              text: Buffer.concat(chunks).toString('utf8'),
            }),
          );
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  }

  const json = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8');
  const stored = async (requestId: string) =>
    database.db
      .selectFrom('outbox')
      .select(['request_id', 'payload'])
      .where('request_id', '=', requestId)
      .execute();

  function expectProblem(answer: Answer, status: number, type: RegExp): void {
    expect(answer.status, answer.text).to.equal(status);
    expect(answer.contentType).to.match(/^application\/problem\+json/);
    expect(JSON.parse(answer.text).type).to.match(type);
  }

  describe('Content-Encoding', () => {
    for (const [encoding, compress] of [
      ['gzip', gzipSync],
      ['deflate', deflateSync],
      ['br', brotliCompressSync],
    ] as const) {
      it(`accepts a ${encoding} body and stores what it decompresses to`, async () => {
        const requestId = nextId();
        const answer = await send(
          compress(json(ordningsnotifikation())),
          { 'content-encoding': encoding },
          requestId,
        );
        expect(answer.status, answer.text).to.equal(200);
        expect(await stored(requestId)).to.have.length(1);
      });
      it(`answers 400 for a body that is not ${encoding} data, and stores nothing`, async () => {
        const requestId = nextId();
        const answer = await send(json(ordningsnotifikation()), { 'content-encoding': encoding }, requestId);
        expectProblem(answer, 400, /unreadable-body/);
        expect(JSON.parse(answer.text).fejlkode).to.equal(1014);
        expect(await stored(requestId)).to.have.length(0);
      });
    }
    it('answers 400 for a truncated gzip body', async () => {
      const whole = gzipSync(json(ordningsnotifikation()));
      const answer = await send(whole.subarray(0, whole.length - 12), { 'content-encoding': 'gzip' });
      expectProblem(answer, 400, /unreadable-body/);
    });
    it('answers 415 for an encoding it does not support', async () => {
      // The names of Object.prototype's members once reached a 500 (fault scenario 5, seed 799964641).
      const prototypeKeys = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'];
      for (const encoding of ['compress', 'zstd', 'gzip, gzip', ...prototypeKeys]) {
        expectProblem(
          await send(json(ordningsnotifikation()), { 'content-encoding': encoding }),
          415,
          /unsupported-media-type/,
        );
      }
    });
    it('answers 413 for a small gzip body that decompresses past the limit (a bomb)', async () => {
      const bomb = gzipSync(Buffer.alloc(10 * 1024 * 1024, 0x20));
      expect(bomb.length).to.be.below(64 * 1024);
      expectProblem(await send(bomb, { 'content-encoding': 'gzip' }), 413, /payload-too-large/);
    });
  });

  describe('charset and UTF-8', () => {
    it('answers 415 for a charset other than UTF-8, and stores nothing', async () => {
      for (const charset of ['latin1', 'iso-8859-1', 'utf-16', 'foo']) {
        const requestId = nextId();
        const body = Buffer.from(
          JSON.stringify(ordningsnotifikation({}, { ansvarligMedarbejderEmail: 'søren@jobcenter.example' })),
          'latin1',
        );
        const answer = await send(
          body,
          { 'content-type': `application/json; charset=${charset}` },
          requestId,
        );
        expectProblem(answer, 415, /unsupported-media-type/);
        expect(await stored(requestId)).to.have.length(0);
      }
    });
    it('accepts charset=UTF-8 in any case and stores the text exactly', async () => {
      const requestId = nextId();
      const email = 'søren.æblegård@jobcenter.example';
      const answer = await send(
        json(ordningsnotifikation({}, { ansvarligMedarbejderEmail: email })),
        { 'content-type': 'application/json; charset=UTF-8' },
        requestId,
      );
      expect(answer.status, answer.text).to.equal(200);
      const [row] = await stored(requestId);
      expect(JSON.stringify(row?.payload)).to.include(email);
    });
    it('answers 400 for bytes that are not UTF-8 inside a string, and never stores U+FFFD', async () => {
      const requestId = nextId();
      const text = JSON.stringify(ordningsnotifikation({}, { cvrNummer: '1234XX78' }));
      const body = Buffer.from(text, 'utf8');
      const at = body.indexOf('XX');
      body[at] = 0xff;
      body[at + 1] = 0xfe;
      const answer = await send(body, {}, requestId);
      expectProblem(answer, 400, /unreadable-body/);
      expect(await stored(requestId)).to.have.length(0);
    });
    it('answers 400 for a latin1 body sent without a charset (it is not UTF-8)', async () => {
      const body = Buffer.from(
        JSON.stringify(ordningsnotifikation({}, { ansvarligMedarbejderEmail: 'søren@jobcenter.example' })),
        'latin1',
      );
      expectProblem(await send(body, {}), 400, /unreadable-body/);
    });
    it('answers 400 with the JSON path for U+0000 and a lone surrogate, escaped in JSON', async () => {
      for (const [field, value] of [
        ['cprNummer', '8765\u00004321'],
        ['cvrNummer', '\ud800'],
      ] as const) {
        const requestId = nextId();
        const answer = await send(json(ordningsnotifikation({}, { [field]: value })), {}, requestId);
        expectProblem(answer, 400, /invalid-message/);
        expect(JSON.parse(answer.text).errors[0].path).to.equal(`ordningsnotifikation.body.${field}`);
        expect(answer.text).to.not.include(FICTITIOUS_CPR.slice(0, 4));
        expect(await stored(requestId)).to.have.length(0);
      }
    });
  });

  describe('x-requestId', () => {
    it('accepts 46 printable ASCII characters and stores them exactly', async () => {
      const requestId = `A-${'x'.repeat(40)}~!@{`;
      expect(requestId).to.have.length(46);
      const answer = await send(json(ordningsnotifikation()), {}, requestId);
      expect(answer.status, answer.text).to.equal(200);
      expect(await stored(requestId)).to.have.length(1);
    });
    it('answers 400 for non-ASCII bytes (UTF-8 æ or latin1 ø), counted or not, and stores nothing', async () => {
      const utf8AsSent = Buffer.from('æ'.repeat(23), 'utf8').toString('latin1');
      const latin1 = 'ø'.repeat(10);
      for (const requestId of [utf8AsSent, latin1]) {
        const answer = await send(json(ordningsnotifikation()), {}, requestId);
        expectProblem(answer, 400, /invalid-message/);
        expect(JSON.parse(answer.text).errors[0].path).to.equal('x-requestId');
        expect(JSON.parse(answer.text).requestId, 'never echoed').to.equal(undefined);
      }
      const rows = await database.db.selectFrom('outbox').select('request_id').execute();
      expect(rows.filter((r) => /[^\x20-\x7e]/.test(r.request_id))).to.deep.equal([]);
    });
  });

  describe('requests Node’s HTTP parser refuses', () => {
    /** Writes `bytes` and reads until the server closes; `halfClose` ends the sending side at once. */
    function raw(bytes: string, { halfClose = true } = {}): Promise<string> {
      return new Promise((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () =>
          halfClose ? socket.end(bytes) : socket.write(bytes),
        );
        const chunks: Buffer[] = [];
        socket.on('data', (c: Buffer) => chunks.push(c));
        socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
        socket.on('error', reject);
      });
    }
    it('answers problem+json 431 with fejlkode 1014 for headers over the limit', async () => {
      const response = await raw(
        `POST ${ORDNINGS_PATH} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'a'.repeat(100_000)}\r\n\r\n`,
      );
      expect(response).to.match(/^HTTP\/1\.1 431 /);
      expect(response).to.match(/content-type: application\/problem\+json/i);
      const body = JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4));
      expect(body).to.include({ status: 431, fejlkode: 1014 });
    });
    it('answers problem+json 501 for a transfer coding other than chunked, and stores nothing', async () => {
      const chunked = (body: Buffer) =>
        `${body.length.toString(16)}\r\n${body.toString('latin1')}\r\n0\r\n\r\n`;
      const request = (transferEncoding: string, requestId: string, body: Buffer) =>
        `POST ${ORDNINGS_PATH} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n` +
        `x-requestId: ${requestId}\r\nContent-Type: application/json\r\n` +
        `Transfer-Encoding: ${transferEncoding}\r\nConnection: close\r\n\r\n${chunked(body)}`;
      const plain = json(ordningsnotifikation());
      for (const [transferEncoding, body] of [
        ['gzip, chunked', gzipSync(plain)],
        ['gzip, chunked', plain],
        ['x-unknown, chunked', plain],
        ['identity, chunked', plain],
      ] as const) {
        const requestId = nextId();
        const response = await raw(request(transferEncoding, requestId, body));
        expect(response, transferEncoding).to.match(/^HTTP\/1\.1 501 /);
        expect(response).to.match(/content-type: application\/problem\+json/i);
        expect(JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4))).to.include({
          status: 501,
          type: 'urn:wsb-gateway:problem:unsupported-transfer-coding',
        });
        expect(await stored(requestId)).to.have.length(0);
      }
      const requestId = nextId();
      // Not half-closed: the answer comes after a commit, and Node closes a half-closed socket first.
      expect(await raw(request('Chunked', requestId, plain), { halfClose: false })).to.match(
        /^HTTP\/1\.1 200 /,
      );
      expect(await stored(requestId), 'chunked alone, in any case, is accepted').to.have.length(1);
      expect(await raw(request('gzip', nextId(), plain)), 'not framed: the parser’s 400').to.match(
        /^HTTP\/1\.1 400 /,
      );
    });
    it('answers problem+json 400 for a malformed request', async () => {
      const response = await raw('GARBAGE / NOT-HTTP\r\n\r\n');
      expect(response).to.match(/^HTTP\/1\.1 400 /);
      expect(JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4))).to.include({
        status: 400,
        fejlkode: 1014,
      });
    });
  });

  describe('values of any length, and hostile token claims, inside a batch of valid requests', () => {
    const incompressible = (length: number) => randomBytes(length).toString('base64').slice(0, length);
    const digits = (length: number) => Array.from(randomBytes(length), (b) => String(b % 10)).join('');
    const storedRows = async (requestIds: readonly string[]) =>
      database.db
        .selectFrom('outbox')
        .select(['request_id', 'client_id', 'payload'])
        .where('request_id', 'in', [...requestIds])
        .execute();

    it('stores a cprNummer, cprNumre and every other string of several KB, and refuses U+0000 or an unpaired surrogate in the token’s identity with 401; every valid request 200, no batch split', async () => {
      // A lock that holds every INSERT into outbox, so that the batches queue up behind it and
      // the long values share one with the valid requests (group-commit-isolation.test.ts).
      let release = (): void => {};
      const released = new Promise<void>((resolve) => (release = resolve));
      let locked = (): void => {};
      const lockHeld = new Promise<void>((resolve) => (locked = resolve));
      const holder = database.db.transaction().execute(async (trx) => {
        await sql`lock table outbox in exclusive mode`.execute(trx);
        locked();
        await released;
      });
      try {
        await lockHeld;
        const startedBefore = batches.started;
        const splitsBefore = batches.split;
        const valid = (i: number) =>
          json(
            ordningsnotifikation(
              { eksternIdentifier: randomUUID() },
              { vitasDybtLink: `https://vitas.example/sag/${i}` },
            ),
          );
        const blockers = [0, 1].map((i) => {
          const requestId = `batch-valid-${i}`;
          return send(valid(i), {}, requestId).then((answer) => ({ requestId, answer }));
        });
        while (batches.started < startedBefore + 2) await delay(5);

        const longCpr = digits(6 * 1024);
        const longBody = ordningsnotifikation(
          { eksternIdentifier: randomUUID() },
          {
            cprNummer: longCpr,
            cvrNummer: incompressible(6 * 1024),
            pNummer: incompressible(6 * 1024),
            ansvarligMedarbejderEmail: incompressible(6 * 1024),
            vitasDybtLink: incompressible(6 * 1024),
          },
        );
        const longCprNumre = [digits(6 * 1024), digits(6 * 1024)];
        const longGdpr = gdprSlettetNotifikation(
          { eksternIdentifier: randomUUID() },
          { vitasSagsId: incompressible(6 * 1024), cprNumre: longCprNumre },
        );
        const hostileTokens = {
          'client_id with U+0000': await idp.token({ claims: { client_id: 'vitas\u0000client' } }),
          'client_id with a lone surrogate': await idp.token({ claims: { client_id: 'vitas-\ud800' } }),
          'sub with U+0000, no client_id': await idp.token({
            claims: { client_id: undefined },
            subject: 'vitas\u0000sub',
          }),
        };
        const sends = [
          ...Array.from({ length: 30 }, (_, i) => ({
            requestId: `batch-valid-${i + 2}`,
            body: valid(i + 2),
            path: ORDNINGS_PATH,
          })),
          { requestId: 'batch-long-ordning', body: json(longBody), path: ORDNINGS_PATH },
          { requestId: 'batch-long-gdpr', body: json(longGdpr), path: GDPR_PATH },
        ].map(({ requestId, body, path }) =>
          send(body, {}, requestId, path).then((answer) => ({ requestId, answer })),
        );
        const refusedSends = Object.entries(hostileTokens).map(([kind, hostile], i) =>
          send(valid(100 + i), { authorization: `Bearer ${hostile}` }, `batch-token-${i}`).then((answer) => ({
            kind,
            requestId: `batch-token-${i}`,
            answer,
          })),
        );
        while (unitOfWork.waiting < sends.length) await delay(5);
        release();
        await holder;
        const answered = [...(await Promise.all(blockers)), ...(await Promise.all(sends))];
        const refused = await Promise.all(refusedSends);

        expect(
          answered
            .filter((a) => a.answer.status !== 200)
            .map((a) => [a.requestId, a.answer.status, a.answer.text]),
          'requests answered other than 200',
        ).to.deep.equal([]);
        for (const { kind, answer } of refused) {
          expectProblem(answer, 401, /logon-failed/);
          expect(JSON.parse(answer.text).fejlkode, kind).to.equal(1012);
        }
        expect(batches.split - splitsBefore, 'batches run again in halves').to.equal(0);

        const rows = await storedRows([...answered, ...refused].map((a) => a.requestId));
        expect(rows.map((r) => r.request_id).sort()).to.deep.equal(answered.map((a) => a.requestId).sort());
        const byId = new Map(rows.map((r) => [r.request_id, r]));
        const storedOrdning = byId.get('batch-long-ordning')?.payload as typeof longBody;
        expect(storedOrdning.ordningsnotifikation.body, 'stored exactly as sent').to.deep.equal(
          longBody.ordningsnotifikation.body,
        );
        const storedGdpr = byId.get('batch-long-gdpr')?.payload as typeof longGdpr;
        expect(storedGdpr.gdprSlettetNotifikation.body.cprNumre).to.deep.equal(longCprNumre);
        expect(rows.filter((r) => r.client_id !== 'vitas-test-client')).to.deep.equal([]);
      } finally {
        release();
        await holder.catch(() => undefined);
      }
    });
  });
});
