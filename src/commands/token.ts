import { loadOrCreateDevelopmentKeys, mintDevelopmentToken } from '../adapters/auth/development-keys';
import { parseArguments } from '../adapters/cli/arguments';
import type { Configuration } from '../composition/configuration';

/** `token`: prints a development-mode bearer token. */
export async function printToken(config: Configuration, args: readonly string[]): Promise<number> {
  if (config.auth.mode !== 'development') {
    process.stderr.write('wsb-gateway token works in development mode only (no AUTH_* configuration)\n');
    return 2;
  }
  const options = parseArguments(args, ['client-id', 'scope', 'ttl']);
  const ttl = options['ttl'] === undefined ? 3600 : Number(options['ttl']);
  if (!Number.isInteger(ttl) || ttl <= 0) {
    process.stderr.write('--ttl must be a positive whole number of seconds\n');
    return 2;
  }
  const keys = await loadOrCreateDevelopmentKeys(config.dataDir);
  const token = await mintDevelopmentToken(keys, {
    ...(options['client-id'] !== undefined ? { clientId: options['client-id'] } : {}),
    ...(options['scope'] !== undefined ? { scope: options['scope'] } : {}),
    ttlSeconds: ttl,
  });
  process.stdout.write(`${token}\n`);
  return 0;
}
