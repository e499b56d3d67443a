import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { SESSION_COOKIE } from '../../../src/adapters/console/console-app';
import { FICTITIOUS_CPR, ordningsnotifikation } from '../../support/fixtures';
import { accept, deliver, updatePending } from '../../support/outbox-rows';
import { ConsoleClient, type RunningConsole, startConsole } from '../../support/console';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';

const HOSTILE = `<script>window.pwned=1</script><img src=x onerror="window.pwned=2">`;

/**
 * The console over HTTP, wired as `wsb-gateway console` runs it, against PostgreSQL: sign-in,
 * roles, CSRF, headers, the actions and what they record, and escaping of hostile values.
 */
describe('console over HTTP (development sign-in)', () => {
  let database: TestDatabase;
  let running: RunningConsole;
  let baseUrl: string;

  before(async () => {
    database = await createTestDatabase('wsb_console');
    running = await startConsole(database.url);
    baseUrl = running.baseUrl;
  });
  after(async () => {
    await running?.close();
    await database?.drop();
  });

  const actionsOf = (messageId: string | null) =>
    database.db
      .selectFrom('operator_action')
      .selectAll()
      .$if(messageId !== null, (q) => q.where('message_id', '=', messageId))
      .orderBy('id')
      .execute();

  const statusOf = async (messageId: string) => {
    const { rows } = await sql<{ status: string }>`
      select case when p.seq is null then 'delivered' when p.parked then 'parked' else 'pending' end as status
        from outbox o left join outbox_pending p on p.seq = o.seq where o.message_id = ${messageId}::uuid`.execute(
      database.db,
    );
    return rows[0]?.status;
  };

  it('sends a request without a session to /login, for pages and actions alike', async () => {
    const client = new ConsoleClient(baseUrl);
    for (const path of ['/', '/messages', '/failures', '/actions', '/gdpr', '/entities/x', '/messages/x']) {
      const answer = await client.get(path);
      expect([302, 303], path).to.include(answer.status);
      expect(answer.location, path).to.equal('/login');
    }
    const post = await client.post('/messages/x/replay', { reason: 'r' });
    expect([302, 303]).to.include(post.status);
    expect(post.location).to.equal('/login');
  });

  it('offers both roles in development mode, says so on every page, and sets a strict session cookie', async () => {
    const client = new ConsoleClient(baseUrl);
    const login = await client.get('/login');
    expect(login.status).to.equal(200);
    expect(login.text).to.match(/<form method="post" action="\/login\/dev"/);
    expect(login.text).to.include('name="role" value="auditor"');
    expect(login.text).to.include('name="role" value="operator"');
    expect(login.text).to.include('development mode');
    const signIn = await client.post('/login/dev', { role: 'auditor' }, { csrf: false });
    expect(signIn.status).to.equal(303);
    const cookie = signIn.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`)) ?? '';
    expect(cookie).to.match(/httponly/i);
    expect(cookie).to.match(/samesite=strict/i);
    expect(cookie, 'no Secure over plain HTTP').to.not.match(/secure/i);
    for (const path of ['/', '/messages', '/failures', '/actions', '/gdpr']) {
      const page = await client.get(path);
      expect(page.status, path).to.equal(200);
      expect(page.text, path).to.include('development mode');
    }
  });

  it('sends a CSP without unsafe-inline scripts and with frame-ancestors none on every answer', async () => {
    const client = await ConsoleClient.signedIn(baseUrl, 'auditor');
    for (const path of ['/login', '/', '/messages', '/gdpr', '/no-such-page', '/assets/console.js']) {
      const csp = (await client.get(path)).headers.get('content-security-policy') ?? '';
      expect(csp, path).to.include("frame-ancestors 'none'");
      expect(csp, path).to.match(/script-src 'self'(;|$)/);
      expect(csp, path).to.not.include('unsafe-inline');
    }
    const page = await client.get('/');
    expect(page.text, 'no inline script').to.not.match(/<script(?![^>]*\bsrc=)[^>]*>/);
  });

  it('serves its own assets, uPlot included, and no page loads anything from elsewhere', async () => {
    const client = await ConsoleClient.signedIn(baseUrl, 'auditor');
    const page = await client.get('/');
    const sources = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? '');
    expect(sources.filter((s) => /^(https?:)?\/\//.test(s))).to.deep.equal([]);
    for (const asset of [
      '/assets/console.js',
      '/assets/console.css',
      '/assets/uPlot.iife.min.js',
      '/assets/uPlot.min.css',
    ]) {
      expect((await client.get(asset)).status, asset).to.equal(200);
    }
  });

  it('issues a new session on every sign-in and ends it on the server at sign-out', async () => {
    const client = await ConsoleClient.signedIn(baseUrl, 'operator');
    const first = client.cookies.get(SESSION_COOKIE);
    await client.post('/login/dev', { role: 'operator' }, { csrf: false });
    const second = client.cookies.get(SESSION_COOKIE);
    expect(second).to.be.a('string').and.not.equal(first);
    const stale = new ConsoleClient(baseUrl);
    stale.cookies.set(SESSION_COOKIE, first ?? '');
    expect((await stale.get('/')).location, 'the replaced session is gone').to.equal('/login');

    await client.get('/');
    const copy = new ConsoleClient(baseUrl);
    copy.cookies.set(SESSION_COOKIE, second ?? '');
    expect((await copy.get('/')).status).to.equal(200);
    const out = await client.post('/logout', {});
    expect(out.status).to.equal(303);
    expect(out.location).to.equal('/login');
    expect((await copy.get('/')).location, 'a copied cookie is worthless after sign-out').to.equal('/login');
  });

  it('refuses a POST without the CSRF token or with a wrong one (403), changing nothing; the header works', async () => {
    const messageId = await accept(database.db, 'Ordningsnotifikation', ordningsnotifikation());
    const client = await ConsoleClient.signedIn(baseUrl, 'operator');
    const missing = await client.post(
      `/messages/${messageId}/park`,
      { reason: 'csrf test' },
      { csrf: false },
    );
    expect(missing.status).to.equal(403);
    const wrong = await client.post(`/messages/${messageId}/park`, { reason: 'csrf test', _csrf: 'forged' });
    expect(wrong.status).to.equal(403);
    const otherSession = await ConsoleClient.signedIn(baseUrl, 'operator');
    const borrowed = await client.post(`/messages/${messageId}/park`, {
      reason: 'csrf test',
      _csrf: otherSession.csrfToken ?? '',
    });
    expect(borrowed.status, "another session's token").to.equal(403);
    expect(await statusOf(messageId)).to.equal('pending');
    expect(await actionsOf(messageId)).to.have.length(0);

    const viaHeader = await client.post(
      `/messages/${messageId}/park`,
      { reason: 'csrf header test' },
      { csrf: false, headers: { 'x-csrf-token': client.csrfToken ?? '' } },
    );
    expect(viaHeader.status).to.equal(303);
    expect(await statusOf(messageId)).to.equal('parked');
  });

  it("refuses each of an auditor's operator actions with 403 and records nothing", async () => {
    const messageId = await accept(database.db, 'Ordningsnotifikation', ordningsnotifikation());
    const auditor = await ConsoleClient.signedIn(baseUrl, 'auditor');
    for (const path of [
      `/messages/${messageId}/replay`,
      `/messages/${messageId}/park`,
      `/messages/${messageId}/reveal`,
      '/failures/abc123/replay',
      '/failures/abc123/park',
    ]) {
      const answer = await auditor.post(path, { reason: 'not allowed', expected: '0' });
      expect(answer.status, path).to.equal(403);
    }
    expect(await statusOf(messageId)).to.equal('pending');
    expect(await actionsOf(messageId)).to.have.length(0);
    const page = await auditor.get(`/messages/${messageId}`);
    expect(page.text).to.not.include('Reveal payload');
    expect(page.text).to.not.include(FICTITIOUS_CPR);
  });

  it('parks and replays one message with a reason, back to its page, recorded with the dev actor', async () => {
    const messageId = await accept(database.db, 'Ordningsnotifikation', ordningsnotifikation());
    const operator = await ConsoleClient.signedIn(baseUrl, 'operator');
    const noReason = await operator.post(`/messages/${messageId}/park`, { reason: '  ' });
    expect(noReason.status).to.equal(400);
    const park = await operator.post(`/messages/${messageId}/park`, { reason: 'broker rejects it' });
    expect(park.status).to.equal(303);
    expect(park.location).to.equal(`/messages/${messageId}`);
    expect(await statusOf(messageId)).to.equal('parked');
    const again = await operator.post(`/messages/${messageId}/park`, { reason: 'twice' });
    expect(again.status, 'parking a parked message').to.equal(409);
    const replay = await operator.post(`/messages/${messageId}/replay`, { reason: 'fixed downstream' });
    expect(replay.status).to.equal(303);
    expect(await statusOf(messageId)).to.equal('pending');
    const actions = await actionsOf(messageId);
    expect(actions.map((a) => [a.action, a.actor, a.reason])).to.deep.equal([
      ['park', 'dev:operator', 'broker rejects it'],
      ['replay', 'dev:operator', 'fixed downstream'],
    ]);
    expect(
      (await operator.post('/messages/00000000-0000-4000-8000-000000000000/replay', { reason: 'x' })).status,
    ).to.equal(404);
  });

  it('hides the payload until an operator reveals it with a reason; the reveal is logged', async () => {
    const messageId = await accept(database.db, 'Ordningsnotifikation', ordningsnotifikation());
    const operator = await ConsoleClient.signedIn(baseUrl, 'operator');
    const before = await operator.get(`/messages/${messageId}`);
    expect(before.status).to.equal(200);
    expect(before.text).to.include('Reveal payload');
    expect(before.text).to.not.include(FICTITIOUS_CPR);
    expect((await operator.post(`/messages/${messageId}/reveal`, { reason: '' })).status).to.equal(400);
    const reveal = await operator.post(`/messages/${messageId}/reveal`, { reason: 'case 4711' });
    expect(reveal.status).to.equal(303);
    expect(reveal.location).to.equal(`/messages/${messageId}#payload`);
    const after = await operator.get(`/messages/${messageId}`);
    expect(after.text).to.include(FICTITIOUS_CPR);
    const other = await ConsoleClient.signedIn(baseUrl, 'operator');
    expect((await other.get(`/messages/${messageId}`)).text, 'another session').to.not.include(
      FICTITIOUS_CPR,
    );
    const actions = await actionsOf(messageId);
    expect(actions.map((a) => [a.action, a.actor, a.reason])).to.deep.equal([
      ['reveal', 'dev:operator', 'case 4711'],
    ]);
  });

  it('escapes hostile values from a message in every page that shows them', async () => {
    const messageId = await accept(
      database.db,
      'Ordningsnotifikation',
      ordningsnotifikation({}, { ansvarligMedarbejderEmail: HOSTILE }),
    );
    await database.db
      .updateTable('outbox')
      .set({ client_id: HOSTILE })
      .where('message_id', '=', messageId)
      .execute();
    await updatePending(database.db, messageId, { attempts: 2, last_error: HOSTILE });
    const operator = await ConsoleClient.signedIn(baseUrl, 'operator');
    await operator.post(`/messages/${messageId}/reveal`, { reason: HOSTILE });
    for (const path of [`/messages/${messageId}`, '/actions', '/messages', '/failures']) {
      const page = await operator.get(path);
      expect(page.status, path).to.equal(200);
      expect(page.text, path).to.not.include('<script>window.pwned');
      expect(page.text, path).to.not.include('<img src=x');
    }
    const detail = await operator.get(`/messages/${messageId}`);
    expect(detail.text).to.include('&lt;script&gt;window.pwned=1&lt;/script&gt;');
  });

  it('refuses a group action whose count no longer matches the group (409), changing nothing', async () => {
    const operator = await ConsoleClient.signedIn(baseUrl, 'operator');
    const answer = await operator.post('/failures/0123abcd/replay', {
      reason: 'stale preview',
      expected: '3',
    });
    expect(answer.status).to.equal(409);
    expect((await operator.post('/failures/0123abcd/park', { reason: 'no count' })).status).to.equal(400);
  });

  it('runs a subject-access search for an auditor with a reason, logs it without the CPR number, shows it masked', async () => {
    const auditor = await ConsoleClient.signedIn(baseUrl, 'auditor');
    expect((await auditor.post('/gdpr/subject-access', { cpr: FICTITIOUS_CPR, reason: '' })).status).to.equal(
      400,
    );
    expect((await auditor.post('/gdpr/subject-access', { cpr: '12345', reason: 'x' })).status).to.equal(400);
    const search = await auditor.post('/gdpr/subject-access', {
      cpr: FICTITIOUS_CPR,
      reason: 'request from the person',
    });
    expect(search.status).to.equal(303);
    expect(search.location).to.match(/^\/gdpr/);
    const page = await auditor.get('/gdpr');
    expect(page.text).to.include('010101-****');
    expect(page.text).to.not.include(FICTITIOUS_CPR);
    const logged = (await actionsOf(null)).filter((a) => a.action === 'subject-access');
    expect(logged).to.have.length(1);
    expect(logged[0]?.actor).to.equal('dev:auditor');
    expect(logged[0]?.reason).to.equal('request from the person');
    expect(JSON.stringify(logged[0])).to.not.include(FICTITIOUS_CPR);
  });

  it('finds a message by requestId and opens its entity, which names the message holding the rest back', async () => {
    const eksternIdentifier = randomUUID();
    const first = await accept(
      database.db,
      'Ordningsnotifikation',
      ordningsnotifikation({ eksternIdentifier }),
    );
    const second = await accept(
      database.db,
      'Ordningsnotifikation',
      ordningsnotifikation({ eksternIdentifier }),
    );
    await updatePending(database.db, first, { parked: true, attempts: 3, last_error: 'queue full' });
    const row = await database.db
      .selectFrom('outbox')
      .select('request_id')
      .where('message_id', '=', first)
      .executeTakeFirstOrThrow();
    const auditor = await ConsoleClient.signedIn(baseUrl, 'auditor');
    const found = await auditor.get(`/messages?requestId=${encodeURIComponent(row.request_id)}`);
    expect(found.status).to.equal(200);
    expect(found.text).to.include(`href="/messages/${first}"`);
    expect(found.text).to.not.include(`href="/messages/${second}"`);
    const byRequestId = await auditor.get(`/messages/${encodeURIComponent(row.request_id)}`);
    expect(byRequestId.location, 'a request id leads to its message').to.equal(`/messages/${first}`);
    const entity = await auditor.get(`/entities/${eksternIdentifier}`);
    expect(entity.status).to.equal(200);
    expect(entity.text).to.match(new RegExp(`Holding the rest back:\\s*<a href="/messages/${first}"`));
    expect(entity.text).to.include('parked');
    expect(entity.text).to.match(new RegExp(`waits for\\s*<a href="/messages/${first}"`));
    const undelivered = await auditor.get('/messages');
    expect(undelivered.text, 'the default list is what is not delivered').to.include(second);
    expect(undelivered.text).to.match(/value="undelivered"\s+selected/);
  });

  it('a search without a status looks at the whole history: a bookmarked requestId finds its delivered message', async () => {
    const delivered = await accept(database.db, 'Ordningsnotifikation', ordningsnotifikation());
    await deliver(database.db, delivered);
    const row = await database.db
      .selectFrom('outbox')
      .select('request_id')
      .where('message_id', '=', delivered)
      .executeTakeFirstOrThrow();
    const auditor = await ConsoleClient.signedIn(baseUrl, 'auditor');
    const found = await auditor.get(`/messages?requestId=${encodeURIComponent(row.request_id)}`);
    expect(found.text).to.include(`href="/messages/${delivered}"`);
    expect(found.text).to.match(/value="any"\s+selected/);
    const undelivered = await auditor.get(
      `/messages?requestId=${encodeURIComponent(row.request_id)}&status=undelivered`,
    );
    expect(undelivered.text, 'a status named is kept').to.not.include(`href="/messages/${delivered}"`);
  });

  it('previews a failure group and replays exactly the count shown; the action log lists it', async () => {
    const a = await accept(
      database.db,
      'Ordningsnotifikation',
      ordningsnotifikation({ eksternIdentifier: randomUUID() }),
    );
    const b = await accept(
      database.db,
      'Ordningsnotifikation',
      ordningsnotifikation({ eksternIdentifier: randomUUID() }),
    );
    await updatePending(database.db, a, { attempts: 4, last_error: 'downstream refused order 1234' });
    await updatePending(database.db, b, {
      parked: true,
      attempts: 7,
      last_error: 'downstream refused order 98765',
    });
    const operator = await ConsoleClient.signedIn(baseUrl, 'operator');
    const failures = await operator.get('/failures');
    const groupLink = /href="\/failures\/([0-9a-f]+)"[^>]*>\s*Preview/.exec(
      failures.text.slice(failures.text.indexOf('downstream refused order')),
    );
    expect(groupLink, 'a preview link for the group').to.not.equal(null);
    const fingerprint = groupLink?.[1] ?? '';
    const preview = await operator.get(`/failures/${fingerprint}`);
    expect(preview.text).to.include(a);
    expect(preview.text).to.include(b);
    expect(preview.text).to.include('name="expected" value="2"');
    const stale = await operator.post(`/failures/${fingerprint}/replay`, { reason: 'fixed', expected: '1' });
    expect(stale.status).to.equal(409);
    expect(await statusOf(b)).to.equal('parked');
    const replay = await operator.post(`/failures/${fingerprint}/replay`, {
      reason: 'downstream fixed',
      expected: '2',
    });
    expect(replay.status).to.equal(303);
    expect(replay.location).to.equal('/failures');
    expect(await statusOf(a)).to.equal('pending');
    expect(await statusOf(b)).to.equal('pending');
    const log = await operator.get('/actions?action=replay');
    const entry = log.text.slice(log.text.indexOf('downstream fixed') - 400);
    expect(entry).to.include('dev:operator');
    expect(log.text).to.include(`/messages/${a}`);
    expect(log.text).to.include(`/messages/${b}`);
    const forA = await operator.get(`/actions?messageId=${a}`);
    expect(forA.text, 'the group action is found from its message').to.include('downstream fixed');
  });

  it('marks the session cookie Secure when the console is reached over TLS (CONSOLE_PUBLIC_URL https)', async () => {
    const behindTls = await startConsole(database.url, { CONSOLE_PUBLIC_URL: 'https://console.example' });
    try {
      const client = new ConsoleClient(behindTls.baseUrl);
      const signIn = await client.post('/login/dev', { role: 'auditor' }, { csrf: false });
      const cookie = signIn.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`)) ?? '';
      expect(cookie).to.match(/;\s*secure/i);
    } finally {
      await behindTls.close();
    }
  });

  it('ends a session after the idle timeout', async () => {
    const short = await startConsole(database.url, { CONSOLE_SESSION_IDLE_SECONDS: '10' });
    try {
      const client = await ConsoleClient.signedIn(short.baseUrl, 'auditor');
      expect((await client.get('/')).status).to.equal(200);
      const realNow = Date.now;
      Date.now = () => realNow() + 11_000;
      try {
        expect((await client.get('/')).location).to.equal('/login');
      } finally {
        Date.now = realNow;
      }
    } finally {
      await short.close();
    }
  });
});
