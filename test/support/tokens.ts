import { createLocalJWKSet, exportJWK, generateKeyPair, type CryptoKey, type JWK, SignJWT } from 'jose';
import { JwtAuthenticator, WRITE_SCOPE } from '../../src/adapters/auth/jwt-authenticator';

export const TEST_ISSUER = 'https://idp.test.example/';
export const TEST_AUDIENCE = 'wsb-gateway-test';

/** A test identity provider: an RS256 key pair whose public half is the trusted JWKS. */
export class TestIdentityProvider {
  private constructor(
    private readonly privateKey: CryptoKey,
    readonly publicJwk: JWK,
  ) {}

  static async create(): Promise<TestIdentityProvider> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const publicJwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
    return new TestIdentityProvider(privateKey, publicJwk);
  }

  get jwks(): { keys: JWK[] } {
    return { keys: [this.publicJwk] };
  }

  authenticator(): JwtAuthenticator {
    return new JwtAuthenticator({
      keys: createLocalJWKSet(this.jwks),
      issuer: TEST_ISSUER,
      audience: TEST_AUDIENCE,
      algorithms: ['RS256', 'ES256'],
      clockToleranceSeconds: 0,
      requiredScope: WRITE_SCOPE,
    });
  }

  async token(
    options: {
      claims?: Record<string, unknown>;
      issuer?: string;
      audience?: string;
      expiresIn?: string | number;
      signingKey?: CryptoKey;
      /** The `sub` claim (a client_id in `claims` takes precedence as the identity). */
      subject?: string;
    } = {},
  ): Promise<string> {
    const jwt = new SignJWT({ scope: WRITE_SCOPE, client_id: 'vitas-test-client', ...options.claims })
      .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
      .setIssuer(options.issuer ?? TEST_ISSUER)
      .setAudience(options.audience ?? TEST_AUDIENCE)
      .setSubject(options.subject ?? 'vitas-test-subject')
      .setIssuedAt();
    jwt.setExpirationTime(options.expiresIn ?? '5m');
    return jwt.sign(options.signingKey ?? this.privateKey);
  }
}
