import { expect } from 'chai';
import fc from 'fast-check';
import { sql } from 'kysely';
import { randomBytes, randomUUID } from 'node:crypto';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { FICTITIOUS_CPR, gdprSlettetNotifikation, ordningsnotifikation } from '../support/fixtures';
import { GDPR_PATH, ORDNINGS_PATH } from '../support/intake';
import { memoryOf, type Outcome, progress, report, scenarios } from './support/fault-harness';

const CASES = Number(process.env.FAULTS_FUZZ_CASES ?? 10_000);
const DELETE = Symbol('delete');

/** Header values fetch can carry: printable ASCII. */
const ascii = (maxLength: number) => fc.string({ unit: 'grapheme-ascii', maxLength });

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every path into a JSON value (objects and arrays), the root excluded. */
function pathsOf(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (value === null || typeof value !== 'object') return [];
  const entries: Array<[string | number, unknown]> = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : Object.entries(value);
  return entries.flatMap(([k, v]) => [[...prefix, k], ...pathsOf(v, [...prefix, k])]);
}

function mutate(
  value: Json,
  { changes, extra }: { changes: ReadonlyArray<[number, Json | typeof DELETE]>; extra: Record<string, Json> },
): Json {
  const copy = structuredClone(value) as Record<string, Json>;
  for (const inner of Object.values(copy)) {
    if (inner !== null && typeof inner === 'object' && !Array.isArray(inner)) Object.assign(inner, extra);
  }
  for (const [pick, replacement] of changes) {
    const paths = pathsOf(copy);
    const target = paths[pick % Math.max(1, paths.length)];
    if (target === undefined) continue;
    let parent = copy as Record<string | number, Json>;
    for (const key of target.slice(0, -1)) parent = parent[key] as Record<string | number, Json>;
    const last = target.at(-1) as string | number;
    if (replacement === DELETE) {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else parent[last] = structuredClone(replacement);
  }
  return copy;
}

const wrongTypes: fc.Arbitrary<Json> = fc.constantFrom<Json>(
  null,
  0,
  -1,
  1.5,
  10_000_001,
  '',
  ' ',
  'x',
  '１２３４５',
  '2025-02-30T25:61:00',
  true,
  [],
  {},
  [null],
  { a: 1 },
  '0'.repeat(5_000),
  '8765\u00004321',
  '\ud800',
  'x\udfff',
);

/**
 * Text of several KB that PostgreSQL cannot compress much (so an index entry of it would be as long
 * as it is): digits, printable ASCII, or letters and symbols of several UTF-8 widths, surrogate pairs
 * included. Drawn from a seed rather than character by character, to keep 10 000 cases cheap.
 */
const LONG_ALPHABETS = {
  digits: '0123456789',
  ascii: Array.from({ length: 95 }, (_, i) => String.fromCharCode(0x20 + i)).join(''),
  wide: 'aæøåÆØÅéü€→中文字\u{1F600}\u{1F680}\u{10348}',
} as const;
const longText: fc.Arbitrary<string> = fc
  .record({
    length: fc.integer({ min: 2_048, max: 12_288 }),
    seed: fc.nat(),
    alphabet: fc.constantFrom(...(Object.keys(LONG_ALPHABETS) as Array<keyof typeof LONG_ALPHABETS>)),
  })
  .map(({ length, seed, alphabet }) => {
    const characters = [...LONG_ALPHABETS[alphabet]];
    let state = seed || 1;
    let text = '';
    for (let i = 0; i < length; i++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      text += characters[(state >>> 0) % characters.length];
    }
    return text;
  });

/** Sets one string field, any of them, to several KB: valid wherever the source says `string`. */
const overLong = fc.record({ pick: fc.nat(), text: longText });

function setAt(value: Json, path: ReadonlyArray<string | number>, replacement: Json): void {
  let parent = value as Record<string | number, Json>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, Json>;
  const last = path.at(-1);
  if (last !== undefined) parent[last] = replacement;
}

/** Every path to a string in a JSON value: each string field of a body, collection items included. */
function stringPaths(value: unknown): Array<Array<string | number>> {
  return pathsOf(value).filter((path) => {
    let at: unknown = value;
    for (const key of path) at = (at as Record<string | number, unknown>)[key];
    return typeof at === 'string';
  });
}

// A third of the notifications stay valid (some with unknown fields added), so that many are accepted.
const unknownFields = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 10 }),
  fc.jsonValue({ maxDepth: 1 }) as fc.Arbitrary<Json>,
  {
    maxKeys: 2,
  },
);
const mutations: fc.Arbitrary<{
  changes: ReadonlyArray<[number, Json | typeof DELETE]>;
  extra: Record<string, Json>;
}> = fc.oneof(
  fc.record({
    changes: fc.constant<ReadonlyArray<[number, Json | typeof DELETE]>>([]),
    extra: unknownFields,
  }),
  {
    weight: 2,
    arbitrary: fc.record({
      changes: fc.array(
        fc.tuple(
          fc.nat(),
          fc.oneof(fc.constant(DELETE), wrongTypes, fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>),
        ),
        { minLength: 1, maxLength: 3 },
      ),
      extra: fc.constant<Record<string, Json>>({}),
    }),
  },
);

const validOrdning = fc.uuid().map((uuid) => ordningsnotifikation({ eksternIdentifier: uuid }) as Json);
const validGdpr = fc
  .uuid()
  .map(
    (uuid) => gdprSlettetNotifikation({ eksternIdentifier: uuid }, { cprNumre: [FICTITIOUS_CPR] }) as Json,
  );

const body: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(fc.oneof(validOrdning, validGdpr), mutations)
      .map(([v, m]) => JSON.stringify(mutate(v, m))),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.oneof(validOrdning, validGdpr), fc.array(overLong, { minLength: 1, maxLength: 3 }))
      .map(([valid, longs]) => {
        const copy = structuredClone(valid);
        const paths = stringPaths(copy);
        for (const { pick, text } of longs) setAt(copy, paths[pick % paths.length] ?? [], text);
        return JSON.stringify(copy);
      }),
  },
  { weight: 1, arbitrary: fc.json({ maxDepth: 4 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  {
    weight: 1,
    arbitrary: fc.tuple(validOrdning, fc.nat()).map(([v, cut]) => {
      const text = JSON.stringify(v);
      return text.slice(0, cut % text.length);
    }),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      'null',
      '[]',
      '"x"',
      '{"ordningsnotifikation":' + '['.repeat(5_000) + ']'.repeat(5_000) + '}',
      '{"ordningsnotifikation":{"__proto__":{"polluted":true}}}',
      '{"constructor":{"prototype":{"polluted":true}}}',
      JSON.stringify({ ordningsnotifikation: { body: 'x'.repeat(1_100_000) } }),
      '\uFEFF{}',
    ),
  },
);

const requestIdKind = fc.oneof(
  { weight: 8, arbitrary: fc.constant<'unique'>('unique') },
  { weight: 1, arbitrary: fc.constant<undefined>(undefined) },
  { weight: 1, arbitrary: ascii(80) },
  { weight: 1, arbitrary: fc.constant('fuzz-reused-request-id') },
);
/**
 * Tokens signed by the trusted key whose claims are hostile: the identity the gateway records with
 * U+0000 or an unpaired surrogate (401), or several KB long; claims of the wrong type. `subject`
 * replaces the harness's `sub`; `client_id: undefined` leaves it out, so that `sub` is the identity.
 */
const HOSTILE_CLAIMS: Readonly<Record<string, { claims: Record<string, unknown>; subject?: string }>> = {
  'client_id U+0000': { claims: { client_id: 'vitas\u0000client' } },
  'client_id lone surrogate': { claims: { client_id: 'vitas-\ud800' } },
  'client_id lone low surrogate': { claims: { client_id: '\udc00' } },
  'sub U+0000, no client_id': { claims: { client_id: undefined }, subject: 'vitas\u0000sub' },
  'sub lone surrogate, no client_id': { claims: { client_id: undefined }, subject: 'x\udbff' },
  'azp lone surrogate, no client_id': { claims: { client_id: undefined, azp: 'vitas\ud83d' } },
  'client_id 8 KB': { claims: { client_id: 'c'.repeat(8 * 1024) } },
  'client_id 6 KB of æøå and emoji': { claims: { client_id: 'æøå\u{1F600}'.repeat(1024) } },
  'client_id a number': { claims: { client_id: 42 } },
  'client_id an object': { claims: { client_id: { id: 'x' } } },
  'scope an array with U+0000': {
    claims: { scope: ['x\u0000', 'virksomhedsordning.webservicebesked.write'] },
  },
  'scope 8 KB': { claims: { scope: `${'s '.repeat(4 * 1024)}virksomhedsordning.webservicebesked.write` } },
};
const authKind = fc.oneof(
  { weight: 12, arbitrary: fc.constant<'valid'>('valid') },
  fc.constant<'none'>('none'),
  fc.constant<'raw-token'>('raw-token'),
  fc.constant<'no-scope'>('no-scope'),
  fc.constant<'expired'>('expired'),
  ascii(80).map((s) => `Bearer ${s}`),
  {
    weight: 2,
    arbitrary: fc.constantFrom(...Object.keys(HOSTILE_CLAIMS)).map((kind) => ({ hostile: kind })),
  },
);
const contentType = fc.oneof(
  { weight: 10, arbitrary: fc.constant('application/json') },
  fc.constantFrom(
    'application/json; charset=utf-8',
    'application/problem+json',
    'APPLICATION/JSON',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/json; charset=latin1',
    'application/json; charset=foo',
    'application/json; charset="UTF-8"',
  ),
  fc.constant(undefined),
  ascii(40),
);
const route = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom(ORDNINGS_PATH, GDPR_PATH) },
  fc.constantFrom(
    ORDNINGS_PATH.toLowerCase(),
    `${ORDNINGS_PATH}/`,
    `${GDPR_PATH}?x=1`,
    '/v1/Webservicebesked/',
    '/',
  ),
);
const method = fc.oneof(
  { weight: 20, arbitrary: fc.constant('POST') },
  fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH'),
);
const extraHeaders = fc.dictionary(
  fc.constantFrom(
    'x-forwarded-for',
    'accept',
    'accept-encoding',
    'x-requestid2',
    'content-encoding',
    'expect-ct',
  ),
  ascii(40),
  { maxKeys: 2 },
);

const fuzzCase = fc.record({ body, requestIdKind, authKind, contentType, route, method, extraHeaders });

describe('scenario 5: 10 000 mutated or random bodies and headers (fast-check)', function () {
  const createScenario = scenarios(this);

  it('no 5xx, no row for a refused request, every 200 delivered, memory stable', async () => {
    const scenario = await createScenario('s5');
    const { baseUrl, process: serve } = await scenario.startServe();
    scenario.startRelay();
    const tokens = {
      valid: scenario.bearer,
      noScope: await scenario.idpToken({ claims: { scope: 'something.else' } }),
      expired: await scenario.idpToken({ expiresIn: Math.floor(Date.now() / 1000) - 60 }),
    };
    const hostileTokens = await mintHostileTokens(scenario);
    const seed = Number(process.env.FAULTS_SEED ?? Date.now() % 2_147_483_647);
    const cases = fc.sample(fuzzCase, { numRuns: CASES, seed });
    const outcomes: Array<{ index: number; outcome: Outcome; requestId: string | undefined }> = [];
    const rss: number[] = [];
    let next = 0;
    const worker = async () => {
      for (let index = next++; index < cases.length; index = next++) {
        if (index % 2_500 === 1_000) rss.push((await memoryOf(serve.child.pid!)).rss);
        const c = cases[index]!;
        // HTTP strips spaces and tabs around a field value (RFC 9110 §5.5): the gateway sees the rest.
        const requestId =
          c.requestIdKind === 'unique'
            ? `fz-${scenario.runTag.toString(36)}-${index}`
            : c.requestIdKind?.trim();
        const headers: Record<string, string> = { ...c.extraHeaders };
        if (requestId !== undefined) headers['x-requestId'] = requestId;
        if (c.contentType !== undefined) headers['content-type'] = c.contentType;
        const auth =
          typeof c.authKind === 'object'
            ? `Bearer ${hostileTokens[c.authKind.hostile]}`
            : c.authKind === 'valid'
              ? `Bearer ${tokens.valid}`
              : c.authKind === 'raw-token'
                ? tokens.valid
                : c.authKind === 'no-scope'
                  ? `Bearer ${tokens.noScope}`
                  : c.authKind === 'expired'
                    ? `Bearer ${tokens.expired}`
                    : c.authKind === 'none'
                      ? undefined
                      : c.authKind;
        if (auth !== undefined) headers.authorization = auth;
        let outcome: Outcome;
        try {
          const response = await fetch(`${baseUrl}${c.route}`, {
            method: c.method,
            headers,
            ...(c.method === 'GET' ? {} : { body: c.body }),
            signal: AbortSignal.timeout(15_000),
          });
          await response.arrayBuffer();
          outcome = response.status;
        } catch (error) {
          outcome = error instanceof Error && error.name === 'TimeoutError' ? 'timeout' : 'error';
        }
        outcomes.push({ index, outcome, requestId });
        scenario.ledger.record({
          requestId: requestId ?? `(none ${index})`,
          entity: -1,
          seq: -1,
          sentAt: 0,
          outcome,
        });
      }
    };
    progress(`posting ${cases.length} fuzzed requests (seed ${seed})`);
    await Promise.all(Array.from({ length: 16 }, () => worker()));
    rss.push((await memoryOf(serve.child.pid!)).rss);
    progress(`posted: ${JSON.stringify(scenario.ledger.statuses())}`);

    const failures = outcomes.filter((o) => typeof o.outcome !== 'number' || o.outcome >= 500);
    for (const f of failures.slice(0, 5)) {
      const c = cases[f.index]!;
      process.stdout.write(
        `      failing case ${f.index} → ${f.outcome}: ${c.method} ${c.route} content-type ${c.contentType} auth ${JSON.stringify(c.authKind)} body ${c.body.slice(0, 2_000)}\n`,
      );
    }
    // The gateway's own account of each failure (its error lines carry no value from a request).
    if (failures.length > 0)
      for (const line of serve.logLines.filter((l) => Number(l.level) >= 50).slice(0, 5))
        process.stdout.write(`      gateway error log: ${JSON.stringify(line).slice(0, 2_000)}\n`);
    const accepted = outcomes.filter((o) => o.outcome === 200).map((o) => o.requestId);
    const acceptedLong = outcomes.filter(
      (o) => o.outcome === 200 && cases[o.index]!.body.length > 4_096,
    ).length;
    const { rows } = await sql<{ request_id: string }>`select request_id from outbox`.execute(
      scenario.database.db,
    );
    const counts = await scenario.settle();
    const before = rss[0] ?? NaN;
    const after = rss.at(-1) ?? NaN;
    const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
    report(
      5,
      counts,
      `outbox rows ${rows.length} (${acceptedLong} of them bodies over 4 KB), gateway RSS after 1 000 requests ${mb(before)} MB, after ${cases.length} ${mb(after)} MB (samples every 2 500: ${rss.map(mb).join(', ')}), seed ${seed}`,
    );
    expect(failures.length, '5xx, timeouts or connection errors').to.equal(0);
    expect(
      serve.logLines.filter((l) => l.msg === 'request failed'),
      '500s in the log',
    ).to.deep.equal([]);
    expect(rows.map((r) => r.request_id).sort(), 'outbox rows = requests answered 200').to.deep.equal(
      accepted.sort(),
    );
    expect(after - before, 'gateway RSS growth').to.be.lessThan(100 * 1024 * 1024);
  });

  it('hostile bytes inside batches of good requests: every good request 200, every hostile one 4xx, nothing stored altered', async () => {
    const scenario = await createScenario('s5b');
    const { baseUrl, process: serve } = await scenario.startServe();
    scenario.startRelay();
    const runTag = scenario.runTag.toString(36);
    const rounds = Number(process.env.FAULTS_HOSTILE_ROUNDS ?? 40);
    const hostileTokens = await mintHostileTokens(scenario);
    const longTexts = fc.sample(longText, { numRuns: 5 * rounds, seed: rounds });
    const good: Array<{ requestId: string; outcome: Outcome }> = [];
    const bad: Array<{ kind: string; requestId: string; outcome: Outcome }> = [];
    const post = async (
      requestId: string,
      bytes: Uint8Array,
      headers: Record<string, string>,
    ): Promise<Outcome> => {
      try {
        const response = await fetch(`${baseUrl}${ORDNINGS_PATH}`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${scenario.bearer}`,
            'x-requestId': requestId,
            'content-type': 'application/json',
            ...headers,
          },
          body: bytes,
          signal: AbortSignal.timeout(15_000),
        });
        await response.arrayBuffer();
        return response.status;
      } catch (error) {
        return error instanceof Error && error.name === 'TimeoutError' ? 'timeout' : 'error';
      }
    };
    for (let round = 0; round < rounds; round++) {
      const sends: Array<Promise<void>> = [];
      for (let i = 0; i < 50; i++) {
        const requestId = `good-${runTag}-${round}-${i}`;
        // Every tenth good one carries a string field of several KB (a cprNummer every round):
        // valid, as the source sets no maximum, so it must share the batch and get 200 like the rest.
        const long =
          i % 10 === 3
            ? {
                [LONG_FIELDS[round % LONG_FIELDS.length] ?? 'cprNummer']:
                  longTexts[(round * 5 + i) % longTexts.length],
              }
            : i % 10 === 7
              ? { cprNummer: Array.from(randomBytes(4_096), (b) => b % 10).join('') }
              : {};
        const body = Buffer.from(
          JSON.stringify(
            ordningsnotifikation(
              { eksternIdentifier: randomUUID() },
              { vitasDybtLink: `https://vitas.example/good/${round}/${i}`, ...long },
            ),
          ),
        );
        // Some good ones compressed, so that the decompressing path shares batches too.
        const headers: Record<string, string> = i % 5 === 0 ? { 'content-encoding': 'gzip' } : {};
        sends.push(
          post(requestId, i % 5 === 0 ? gzipSync(body) : body, headers).then((outcome) => {
            good.push({ requestId, outcome });
          }),
        );
      }
      hostileCases(round, hostileTokens).forEach(([kind, bytes, headers], i) => {
        const requestId = `bad-${runTag}-${round}-${i}`;
        sends.push(
          post(requestId, bytes, headers).then((outcome) => {
            bad.push({ kind, requestId, outcome });
          }),
        );
      });
      await Promise.all(sends);
    }
    const goodStatuses = good.map((g) => g.outcome).filter((o) => o !== 200);
    const badByKind: Record<string, Record<string, number>> = {};
    for (const b of bad) {
      const byStatus = (badByKind[b.kind] ??= {});
      byStatus[String(b.outcome)] = (byStatus[String(b.outcome)] ?? 0) + 1;
    }
    progress(`good: ${good.length} sent, not 200: ${JSON.stringify(goodStatuses.slice(0, 5))}`);
    progress(`hostile by kind: ${JSON.stringify(badByKind)}`);
    // The gateway's own account of a good request that failed (its lines carry no value from a request).
    if (goodStatuses.length > 0)
      for (const line of serve.logLines.filter((l) => Number(l.level) >= 40).slice(0, 5))
        process.stdout.write(`      gateway log: ${JSON.stringify(line).slice(0, 2_000)}\n`);
    const { rows } = await sql<{ request_id: string; client_id: string; payload: unknown }>`
      select request_id, client_id, payload from outbox`.execute(scenario.database.db);
    expect(goodStatuses, 'good requests not answered 200').to.deep.equal([]);
    expect(
      bad.filter((b) => typeof b.outcome !== 'number' || b.outcome < 400 || b.outcome >= 500),
      'hostile requests not answered 4xx',
    ).to.deep.equal([]);
    expect(rows.map((r) => r.request_id).sort(), 'rows = the good requests').to.deep.equal(
      good.map((g) => g.requestId).sort(),
    );
    expect(
      rows.filter(
        (r) => JSON.stringify(r.payload).includes('\\ufffd') || JSON.stringify(r.payload).includes('\ufffd'),
      ),
      'U+FFFD stored',
    ).to.deep.equal([]);
    expect(
      rows.filter((r) => r.client_id.includes('\ufffd')).map((r) => r.request_id),
      'a client identity stored as U+FFFD',
    ).to.deep.equal([]);
    expect(
      serve.logLines.filter((l) => l.msg === 'request failed'),
      '500s in the log',
    ).to.deep.equal([]);
    for (const { requestId } of good)
      scenario.ledger.record({ requestId, entity: -1, seq: -1, sentAt: 0, outcome: 200 });
    report(
      5,
      await scenario.settle(),
      `hostile bytes in batches: ${good.length} good, ${bad.length} hostile`,
    );
  });
});

/** The body's free-text fields: the source document sets none of them a maximum length. */
const LONG_FIELDS = ['cprNummer', 'cvrNummer', 'pNummer', 'ansvarligMedarbejderEmail'] as const;

/** One token per entry of HOSTILE_CLAIMS, signed by the scenario's trusted key. */
async function mintHostileTokens(scenario: {
  idpToken: (options: { claims?: Record<string, unknown>; subject?: string }) => Promise<string>;
}): Promise<Record<string, string>> {
  const tokens: Record<string, string> = {};
  for (const [kind, { claims, subject }] of Object.entries(HOSTILE_CLAIMS)) {
    tokens[kind] = await scenario.idpToken({ claims, ...(subject !== undefined ? { subject } : {}) });
  }
  return tokens;
}

/** The HOSTILE_CLAIMS whose identity cannot be stored as it is: each must be 401. */
const UNTRUSTED_IDENTITIES = Object.keys(HOSTILE_CLAIMS).filter(
  (kind) => /U\+0000|surrogate/.test(kind) && !kind.startsWith('scope'),
);

/** One of each kind of hostile body per round: what the gateway must refuse with a 4xx. */
function hostileCases(
  round: number,
  hostileTokens: Readonly<Record<string, string>>,
): Array<[string, Uint8Array, Record<string, string>]> {
  const valid = JSON.stringify(
    ordningsnotifikation({}, { vitasDybtLink: `https://vitas.example/bad/${round}` }),
  );
  const withField = (field: string, value: string) =>
    JSON.stringify(ordningsnotifikation({}, { [field]: value }));
  const invalidUtf8 = Buffer.from(withField('cvrNummer', '12XX5678'));
  invalidUtf8.set([0xff, 0xfe], invalidUtf8.indexOf('XX'));
  const gzipped = gzipSync(Buffer.from(valid));
  const fields = ['cvrNummer', 'cprNummer', 'ansvarligMedarbejderEmail', 'pNummer', 'vitasDybtLink'];
  const field = fields[round % fields.length] ?? 'cvrNummer';
  return [
    ['NUL', Buffer.from(withField(field, '8765\u00004321')), {}],
    ['lone surrogate', Buffer.from(withField(field, '\ud800x')), {}],
    ['invalid UTF-8', invalidUtf8, {}],
    [
      'latin1 without charset',
      Buffer.from(withField('ansvarligMedarbejderEmail', 'søren@x.example'), 'latin1'),
      {},
    ],
    ['charset latin1', Buffer.from(valid, 'latin1'), { 'content-type': 'application/json; charset=latin1' }],
    ['charset foo', Buffer.from(valid), { 'content-type': 'application/json; charset=foo' }],
    ['gzip header, plain body', Buffer.from(valid), { 'content-encoding': 'gzip' }],
    ['truncated gzip', gzipped.subarray(0, gzipped.length - 10), { 'content-encoding': 'gzip' }],
    ['br header, plain body', Buffer.from(valid), { 'content-encoding': 'br' }],
    ['unknown encoding', brotliCompressSync(Buffer.from(valid)), { 'content-encoding': 'compress' }],
    ...UNTRUSTED_IDENTITIES.map((kind): [string, Uint8Array, Record<string, string>] => [
      `token: ${kind}`,
      Buffer.from(valid),
      { authorization: `Bearer ${hostileTokens[kind]}` },
    ]),
  ];
}
