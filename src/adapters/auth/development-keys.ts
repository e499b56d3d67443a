import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTVerifyGetKey,
  SignJWT,
} from 'jose';
import { WRITE_SCOPE } from './jwt-authenticator';

/**
 * Development-mode auth: a local ES256 key pair kept in the data folder, so that a fresh machine
 * runs with real JWT verification and `wsb-gateway token` mints tokens for it. Refused in
 * production by the configuration.
 */
export const DEVELOPMENT_ISSUER = 'urn:wsb-gateway:development';
export const DEVELOPMENT_AUDIENCE = 'wsb-gateway';
export const DEVELOPMENT_ALGORITHM = 'ES256';
const KEY_ID = 'wsb-gateway-development';

interface StoredKeys {
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}

export async function loadOrCreateDevelopmentKeys(dataDir: string): Promise<StoredKeys> {
  const file = join(dataDir, 'development-auth-keys.json');
  try {
    return JSON.parse(await readFile(file, 'utf8')) as StoredKeys;
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOENT') throw error;
  }
  const { privateKey, publicKey } = await generateKeyPair(DEVELOPMENT_ALGORITHM, { extractable: true });
  const keys: StoredKeys = {
    privateJwk: { ...(await exportJWK(privateKey)), kid: KEY_ID, alg: DEVELOPMENT_ALGORITHM },
    publicJwk: { ...(await exportJWK(publicKey)), kid: KEY_ID, alg: DEVELOPMENT_ALGORITHM, use: 'sig' },
  };
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, JSON.stringify(keys, null, 2), { mode: 0o600, flag: 'wx' }).catch(
    async (error: unknown) => {
      // Another process created it first: use theirs, so both agree.
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
    },
  );
  return JSON.parse(await readFile(file, 'utf8')) as StoredKeys;
}

export function developmentKeySet(keys: StoredKeys): JWTVerifyGetKey {
  return createLocalJWKSet({ keys: [keys.publicJwk] });
}

export interface TokenOptions {
  readonly clientId: string;
  readonly scope: string;
  readonly ttlSeconds: number;
}

export async function mintDevelopmentToken(
  keys: StoredKeys,
  options: Partial<TokenOptions> = {},
): Promise<string> {
  const key = await importJWK(keys.privateJwk, DEVELOPMENT_ALGORITHM);
  return new SignJWT({
    scope: options.scope ?? WRITE_SCOPE,
    client_id: options.clientId ?? 'development-client',
  })
    .setProtectedHeader({ alg: DEVELOPMENT_ALGORITHM, kid: KEY_ID, typ: 'JWT' })
    .setIssuer(DEVELOPMENT_ISSUER)
    .setAudience(DEVELOPMENT_AUDIENCE)
    .setSubject(options.clientId ?? 'development-client')
    .setIssuedAt()
    .setExpirationTime(`${options.ttlSeconds ?? 3600}s`)
    .sign(key);
}
