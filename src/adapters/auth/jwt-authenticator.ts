import { readFile } from 'node:fs/promises';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors as joseErrors,
  type JSONWebKeySet,
  type JWTPayload,
  jwtVerify,
  type JWTVerifyGetKey,
} from 'jose';

import type { AuthenticationResult, Authenticator } from '../../application/intake/authentication';
import { isStorable } from '../../domain/primitives';

export {
  type AuthenticationResult,
  type Authenticator,
  type Principal,
  WRITE_SCOPE,
} from '../../application/intake/authentication';

export interface JwtSettings {
  readonly keys: JWTVerifyGetKey;
  readonly issuer: string;
  readonly audience: string;
  readonly algorithms: readonly string[];
  readonly clockToleranceSeconds: number;
  readonly requiredScope: string;
  /** How many verified tokens to remember (0 = verify every request). */
  readonly cacheSize?: number;
  /** The longest a verified token is trusted without verifying it again. */
  readonly cacheTtlMs?: number;
}

interface CachedVerification {
  readonly result: AuthenticationResult;
  readonly until: number;
}

/** OAuth2 bearer JWTs verified against a JWKS, issuer, audience and an algorithm allow-list. */
export class JwtAuthenticator implements Authenticator {
  /**
   * Verified tokens, so that a client reusing its token (as OAuth2 clients do for its lifetime)
   * does not pay for a signature check on every request: that was a fifth of intake CPU. An entry
   * lives until the token expires, and never longer than cacheTtlMs, so a key withdrawn from the
   * JWKS stops being trusted within that time. Failures are not cached.
   */
  private readonly verified = new Map<string, CachedVerification>();
  private readonly cacheSize: number;
  private readonly cacheTtlMs: number;

  constructor(
    private readonly settings: JwtSettings,
    private readonly now: () => number = Date.now,
  ) {
    this.cacheSize = settings.cacheSize ?? 1000;
    this.cacheTtlMs = settings.cacheTtlMs ?? 60_000;
  }

  async authenticate(authorizationHeader: string | undefined): Promise<AuthenticationResult> {
    if (authorizationHeader === undefined || authorizationHeader === '') {
      return { _tag: 'Unauthenticated', reason: 'no bearer token' };
    }
    const match = /^Bearer +([A-Za-z0-9\-_.~+/]+=*) *$/i.exec(authorizationHeader);
    const token = match?.[1];
    if (token === undefined) return { _tag: 'Unauthenticated', reason: 'malformed authorization header' };
    const cached = this.verified.get(token);
    if (cached !== undefined) {
      if (cached.until > this.now()) return cached.result;
      this.verified.delete(token);
    }
    const { result, expiresAt } = await this.verify(token);
    if (result._tag !== 'Unauthenticated' && this.cacheSize > 0 && expiresAt !== undefined) {
      if (this.verified.size >= this.cacheSize) {
        const oldest = this.verified.keys().next();
        if (oldest.done !== true) this.verified.delete(oldest.value);
      }
      this.verified.set(token, { result, until: Math.min(expiresAt, this.now() + this.cacheTtlMs) });
    }
    return result;
  }

  private async verify(token: string): Promise<{ result: AuthenticationResult; expiresAt?: number }> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.settings.keys, {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        algorithms: [...this.settings.algorithms],
        clockTolerance: this.settings.clockToleranceSeconds,
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      return { result: { _tag: 'Unauthenticated', reason: describeJoseError(error) } };
    }
    const clientId = clientIdOf(payload);
    if (clientId === undefined) {
      return { result: { _tag: 'Unauthenticated', reason: 'token names no client (client_id, azp or sub)' } };
    }
    // The identity is stored with every message. A claim is input like any other, however well
    // signed: U+0000 cannot be stored at all, and an unpaired surrogate only as U+FFFD, which
    // would record a client that does not exist. Such a token names no client the gateway can trust.
    if (!isStorable(clientId)) {
      return {
        result: {
          _tag: 'Unauthenticated',
          reason: 'token names its client with U+0000 or an unpaired surrogate',
        },
      };
    }
    const principal = { clientId };
    const result: AuthenticationResult = scopesOf(payload).includes(this.settings.requiredScope)
      ? { _tag: 'Authenticated', principal }
      : { _tag: 'Forbidden', principal };
    return typeof payload.exp === 'number' ? { result, expiresAt: payload.exp * 1000 } : { result };
  }
}

function clientIdOf(payload: JWTPayload): string | undefined {
  for (const claim of ['client_id', 'azp', 'sub']) {
    const value = payload[claim];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

/** Scopes as a space-separated `scope` string, or an array in `scope` or `scp`. */
export function scopesOf(payload: JWTPayload): string[] {
  const scopes: string[] = [];
  for (const claim of ['scope', 'scp']) {
    const value = payload[claim];
    if (typeof value === 'string') scopes.push(...value.split(' ').filter((s) => s !== ''));
    else if (Array.isArray(value)) scopes.push(...value.filter((s): s is string => typeof s === 'string'));
  }
  return scopes;
}

function describeJoseError(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'token expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `token claim "${error.claim}" rejected`;
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'token signature invalid';
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'token algorithm not allowed';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'no trusted key matches the token';
  if (error instanceof joseErrors.JWSInvalid || error instanceof joseErrors.JWTInvalid)
    return 'token malformed';
  if (error instanceof joseErrors.JWKSTimeout) return 'key set could not be fetched in time';
  if (error instanceof joseErrors.JOSEError) return `token rejected (${error.code})`;
  return 'token rejected';
}

export async function keySetFromFile(path: string): Promise<JWTVerifyGetKey> {
  const jwks = JSON.parse(await readFile(path, 'utf8')) as JSONWebKeySet;
  return createLocalJWKSet(jwks);
}

export function keySetFromUrl(url: string): JWTVerifyGetKey {
  return createRemoteJWKSet(new URL(url), { timeoutDuration: 5000, cooldownDuration: 30_000 });
}
