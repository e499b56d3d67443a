import * as oidc from 'openid-client';
import type { ConsoleRole, ConsoleUser } from './sessions';

export interface OidcSettings {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The console's own address as the browser sees it: the redirect URI is `<publicUrl>/login/callback`. */
  readonly publicUrl: string;
  readonly roleClaim: string;
}

/** What the browser's sign-in carries from the redirect to the callback (kept on the server). */
export interface PendingSignIn {
  readonly codeVerifier: string;
  readonly state: string;
  readonly nonce: string;
}

/** `wsb-operator` beats `wsb-auditor`; anything else is no role. The claim may be a list or a string. */
export function roleFromClaim(value: unknown): ConsoleRole | undefined {
  const values = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[\s,]+/) : [];
  if (values.includes('wsb-operator')) return 'operator';
  if (values.includes('wsb-auditor')) return 'auditor';
  return undefined;
}

/**
 * OpenID Connect sign-in: authorization code flow with PKCE (S256), state and nonce, through
 * `openid-client`. The provider's metadata is discovered on first use, so the console starts even
 * while the provider is down. An `http:` issuer is accepted only on a loopback address (tests, a
 * provider on the same host).
 */
export class OidcSignIn {
  private configuration: Promise<oidc.Configuration> | undefined;

  constructor(readonly settings: OidcSettings) {}

  get redirectUri(): string {
    return new URL('/login/callback', this.settings.publicUrl).toString();
  }

  async begin(): Promise<{ readonly url: string; readonly pending: PendingSignIn }> {
    const config = await this.discover();
    const pending: PendingSignIn = {
      codeVerifier: oidc.randomPKCECodeVerifier(),
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
    };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.redirectUri,
      scope: 'openid profile',
      code_challenge: await oidc.calculatePKCECodeChallenge(pending.codeVerifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    });
    return { url: url.toString(), pending };
  }

  /** The callback's URL as the provider sent the browser to it; throws if anything does not check out. */
  async finish(callbackQuery: string, pending: PendingSignIn): Promise<ConsoleUser> {
    const config = await this.discover();
    const current = new URL(this.redirectUri);
    current.search = callbackQuery;
    const tokens = await oidc.authorizationCodeGrant(config, current, {
      pkceCodeVerifier: pending.codeVerifier,
      expectedState: pending.state,
      expectedNonce: pending.nonce,
      idTokenExpected: true,
    });
    const idClaims = tokens.claims();
    if (idClaims === undefined) throw new Error('the provider returned no ID token');
    let claims: Readonly<Record<string, unknown>> = idClaims;
    // Many providers put roles and names in the UserInfo answer only, not in the ID token.
    if (!(this.settings.roleClaim in idClaims)) {
      claims = { ...(await oidc.fetchUserInfo(config, tokens.access_token, idClaims.sub)), ...idClaims };
    }
    const name = [claims.name, claims.preferred_username, claims.email].find((v) => typeof v === 'string');
    return {
      actor: idClaims.sub,
      role: roleFromClaim(claims[this.settings.roleClaim]),
      name: typeof name === 'string' ? name : idClaims.sub,
    };
  }

  private discover(): Promise<oidc.Configuration> {
    if (this.configuration === undefined) {
      const issuer = new URL(this.settings.issuer);
      const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(issuer.hostname);
      this.configuration = oidc
        .discovery(
          issuer,
          this.settings.clientId,
          this.settings.clientSecret,
          undefined,
          issuer.protocol === 'http:' && loopback ? { execute: [oidc.allowInsecureRequests] } : undefined,
        )
        .catch((error: unknown) => {
          this.configuration = undefined;
          throw error;
        });
    }
    return this.configuration;
  }
}
