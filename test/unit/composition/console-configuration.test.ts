import { expect } from 'chai';
import { ConfigurationError, loadConfiguration } from '../../../src/composition/configuration';

const OIDC = {
  CONSOLE_OIDC_ISSUER: 'https://login.example',
  CONSOLE_OIDC_CLIENT_ID: 'wsb-console',
  CONSOLE_OIDC_CLIENT_SECRET: 'client-secret',
  CONSOLE_PUBLIC_URL: 'https://console.example',
  CONSOLE_SESSION_SECRET: 'x'.repeat(32),
};
const CONSOLE_COMMAND = { servesHttp: false, servesConsole: true };

function problems(env: Record<string, string>): readonly string[] {
  try {
    loadConfiguration(env, CONSOLE_COMMAND);
    return [];
  } catch (error) {
    if (error instanceof ConfigurationError) return error.problems;
    throw error;
  }
}

describe('configuration: the console', () => {
  it('defaults to port 8081, development sign-in, 30 min idle and 8 h absolute sessions', () => {
    const config = loadConfiguration({}, CONSOLE_COMMAND).console;
    expect(config).to.include({ port: 8081, sessionIdleSeconds: 1800, sessionMaxSeconds: 28_800 });
    expect(config.oidc).to.equal(undefined);
  });

  it('reads the OIDC settings, with the role claim `roles` unless CONSOLE_ROLE_CLAIM says otherwise', () => {
    expect(loadConfiguration(OIDC, CONSOLE_COMMAND).console.oidc).to.deep.equal({
      issuer: 'https://login.example',
      clientId: 'wsb-console',
      clientSecret: 'client-secret',
      publicUrl: 'https://console.example',
      roleClaim: 'roles',
    });
    expect(
      loadConfiguration({ ...OIDC, CONSOLE_ROLE_CLAIM: 'groups' }, CONSOLE_COMMAND).console.oidc?.roleClaim,
    ).to.equal('groups');
  });

  it('refuses development sign-in when NODE_ENV=production, for console and start', () => {
    const env = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://db/x',
      AUTH_JWKS_FILE: 'k',
      AUTH_ISSUER: 'i',
      AUTH_AUDIENCE: 'a',
    };
    expect(problems(env).join('\n')).to.include('development sign-in is refused in production');
    expect(() => loadConfiguration(env, { servesHttp: false })).to.not.throw();
    expect(problems({ ...env, ...OIDC })).to.deep.equal([]);
  });

  it('names each OIDC setting that is missing, and a short session secret', () => {
    const found = problems({ CONSOLE_OIDC_ISSUER: 'https://login.example', CONSOLE_SESSION_SECRET: 'short' });
    expect(found).to.have.members([
      'CONSOLE_OIDC_CLIENT_ID is required with CONSOLE_OIDC_ISSUER',
      'CONSOLE_OIDC_CLIENT_SECRET is required with CONSOLE_OIDC_ISSUER',
      'CONSOLE_PUBLIC_URL is required with CONSOLE_OIDC_ISSUER',
      'CONSOLE_SESSION_SECRET must be at least 32 characters',
    ]);
  });
});
