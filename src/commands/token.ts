import { loadOrCreateDevelopmentKeys, mintDevelopmentToken } from '../adapters/auth/development-keys';
import { parseCommand, stringOption } from '../adapters/cli/arguments';
import { GATEWAY_COMMANDS } from '../adapters/cli/gateway-commands';
import type { Configuration } from '../composition/configuration';

/** `token`: prints a development-mode bearer token. */
export async function printToken(config: Configuration, args: readonly string[]): Promise<number> {
  const parsed = parseCommand(args, GATEWAY_COMMANDS.token);
  if (parsed._tag === 'Help') {
    process.stdout.write(`${parsed.usage}\n`);
    return 0;
  }
  if (config.auth.mode !== 'development') {
    process.stderr.write('wsb-gateway token works in development mode only (no AUTH_* configuration)\n');
    return 2;
  }
  const rawTtl = stringOption(parsed, 'ttl');
  const ttl = rawTtl === undefined ? 3600 : Number(rawTtl);
  if (!Number.isInteger(ttl) || ttl <= 0) {
    process.stderr.write('--ttl must be a positive whole number of seconds\n');
    return 2;
  }
  const clientId = stringOption(parsed, 'client-id');
  const scope = stringOption(parsed, 'scope');
  const keys = await loadOrCreateDevelopmentKeys(config.dataDir);
  const token = await mintDevelopmentToken(keys, {
    ...(clientId !== undefined ? { clientId } : {}),
    ...(scope !== undefined ? { scope } : {}),
    ttlSeconds: ttl,
  });
  process.stdout.write(`${token}\n`);
  return 0;
}
