import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { SESSION_COOKIE } from '../../../src/adapters/console/console-app';
import { FICTITIOUS_CPR } from '../../support/fixtures';
import { ConsoleClient, type RunningConsole, startConsole } from '../../support/console';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';

const CLIENT_ID = 'wsb-console';
const CLIENT_SECRET = 'a-test-client-secret-that-is-long-enough';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Account {
  readonly sub: string;
  readonly name: string;
  readonly roles?: readonly string[];
}

/**
 * Sign-in through a real OpenID Connect provider (oidc-provider) that the test starts: authorization
 * code with PKCE, the role from the `roles` claim (which this provider gives in UserInfo, not in the
 * ID token). The provider's login screen is replaced by one that signs in `next` at once.
 */
describe('console sign-in through OpenID Connect (oidc-provider)', () => {
  let database: TestDatabase;
  let running: RunningConsole;
  let idp: Server;
  let issuer: string;
  let next: Account;

  before(async () => {
    database = await createTestDatabase('wsb_console_oidc');
    const providerPort = await freePort();
    const consolePort = await freePort();
    issuer = `http://127.0.0.1:${providerPort}`;
    const consoleUrl = `http://127.0.0.1:${consolePort}`;
    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
          redirect_uris: [`${consoleUrl}/login/callback`],
          grant_types: ['authorization_code'],
          response_types: ['code'],
        },
      ],
      claims: { openid: ['sub'], profile: ['name', 'roles'] },
      features: { devInteractions: { enabled: false } },
      pkce: { required: () => true },
      findAccount: (_ctx, sub) => ({
        accountId: sub,
        claims: () => ({ sub, name: next.name, ...(next.roles === undefined ? {} : { roles: next.roles }) }),
      }),
    });
    idp = createServer((req, res) => {
      if (!req.url?.startsWith('/interaction/')) return provider.callback()(req, res);
      void (async () => {
        const details = await provider.interactionDetails(req, res);
        const grant = new provider.Grant({ accountId: next.sub, clientId: String(details.params.client_id) });
        grant.addOIDCScope(String(details.params.scope));
        const grantId = await grant.save();
        await provider.interactionFinished(
          req,
          res,
          { login: { accountId: next.sub }, consent: { grantId } },
          { mergeWithLastSubmission: false },
        );
      })().catch((error: unknown) => {
        res.statusCode = 500;
        res.end(String(error));
      });
    });
    await new Promise<void>((resolve) => idp.listen(providerPort, '127.0.0.1', resolve));
    running = await startConsole(database.url, {
      CONSOLE_PORT: String(consolePort),
      CONSOLE_OIDC_ISSUER: issuer,
      CONSOLE_OIDC_CLIENT_ID: CLIENT_ID,
      CONSOLE_OIDC_CLIENT_SECRET: CLIENT_SECRET,
      CONSOLE_PUBLIC_URL: consoleUrl,
      CONSOLE_SESSION_SECRET: 'a-session-secret-of-at-least-32-characters',
    });
  });
  after(async () => {
    await running?.close();
    idp?.closeAllConnections();
    await new Promise((resolve) => idp?.close(resolve));
    await database?.drop();
  });

  /** The browser's round trip: console → provider → console callback; returns the console's client. */
  async function signIn(account: Account, console = new ConsoleClient(running.baseUrl)) {
    next = account;
    const browserAtIdp = new ConsoleClient(issuer);
    const start = await console.get('/login/oidc');
    expect(start.status).to.equal(302);
    let location = start.location ?? '';
    expect(location.startsWith(`${issuer}/`)).to.equal(true);
    const authorize = new URL(location);
    expect(authorize.searchParams.get('code_challenge_method')).to.equal('S256');
    expect(authorize.searchParams.get('code_challenge')).to.be.a('string');
    for (let hops = 0; location.startsWith(issuer); hops++) {
      if (hops > 6) throw new Error('too many redirects at the provider');
      const answer = await browserAtIdp.get(location);
      expect([302, 303], `${answer.status} ${answer.text.slice(0, 300)}`).to.include(answer.status);
      location = new URL(answer.location ?? '', location).toString();
    }
    expect(location.startsWith(`${running.baseUrl}/login/callback?`)).to.equal(true);
    const callback = await console.get(location);
    return { console, callback };
  }

  it('redirects to the provider from /login, and signs an operator in with the role from the claim', async () => {
    const client = new ConsoleClient(running.baseUrl);
    const login = await client.get('/login');
    expect(login.status).to.equal(200);
    expect(login.text).to.include('href="/login/oidc"');
    expect(login.text).to.not.include('development mode');
    expect((await client.post('/login/dev', { role: 'operator' }, { csrf: false })).status).to.equal(403);

    const { console, callback } = await signIn({
      sub: 'oidc-operator-1',
      name: 'Olga Operator',
      roles: ['wsb-operator'],
    });
    expect(callback.status).to.equal(200);
    const cookie = callback.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`)) ?? '';
    expect(cookie).to.match(/httponly/i);
    expect(cookie).to.match(/samesite=strict/i);
    const overview = await console.get('/');
    expect(overview.status).to.equal(200);
    expect(overview.text).to.include('Olga Operator');
    expect(overview.text).to.include('(operator)');
    expect(overview.text).to.not.include('development mode');
  });

  it('signs an auditor in, records the OIDC sub as the actor, and refuses the operator actions', async () => {
    const { console } = await signIn({ sub: 'oidc-auditor-7', name: 'Aud Itor', roles: ['wsb-auditor'] });
    await console.get('/gdpr');
    const search = await console.post('/gdpr/subject-access', { cpr: FICTITIOUS_CPR, reason: 'oidc audit' });
    expect(search.status).to.equal(303);
    const logged = await database.db
      .selectFrom('operator_action')
      .select(['actor', 'reason'])
      .where('reason', '=', 'oidc audit')
      .execute();
    expect(logged).to.deep.equal([{ actor: 'oidc-auditor-7', reason: 'oidc audit' }]);
    const refused = await console.post('/failures/abcd/replay', { reason: 'no', expected: '0' });
    expect(refused.status).to.equal(403);
  });

  it('signs in a user without a console role, shows nothing and says why', async () => {
    const { console } = await signIn({ sub: 'oidc-nobody', name: 'No Body' });
    for (const path of ['/', '/messages', '/gdpr']) {
      const page = await console.get(path);
      expect(page.status, path).to.equal(403);
      expect(page.text, path).to.include('no console role');
      expect(page.text, path).to.include('<code>roles</code>');
      expect(page.text, path).to.not.include('<table');
    }
  });

  it('starts a new session at every sign-in, even over an existing one', async () => {
    const { console } = await signIn({ sub: 'oidc-operator-2', name: 'Op Two', roles: ['wsb-operator'] });
    const first = console.cookies.get(SESSION_COOKIE);
    await signIn({ sub: 'oidc-operator-2', name: 'Op Two', roles: ['wsb-operator'] }, console);
    const second = console.cookies.get(SESSION_COOKIE);
    expect(second).to.be.a('string').and.not.equal(first);
    const stale = new ConsoleClient(running.baseUrl);
    stale.cookies.set(SESSION_COOKIE, first ?? '');
    expect((await stale.get('/')).location).to.equal('/login');
  });

  it('refuses a callback that did not start here (no sign-in cookie, or a forged state)', async () => {
    const stranger = new ConsoleClient(running.baseUrl);
    const answer = await stranger.get('/login/callback?code=abc&state=forged');
    expect(answer.status).to.equal(303);
    expect(answer.location).to.match(/^\/login\?problem=/);
    expect(stranger.cookies.has(SESSION_COOKIE)).to.equal(false);
  });
});
