import type { CommandSpec } from './arguments';

export const GATEWAY_USAGE = `usage: wsb-gateway <command> [options]      (wsb-gateway <command> --help)

commands:
  serve      HTTP intake (the two Webservicebesked endpoints) into the outbox
  relay      worker: publishes the outbox to RabbitMQ (any number may run at once)
  start      serve, relay and console in one process
  console    the web console for operators and auditors
  migrate    apply database migrations and exit
  outbox     operator commands: stats, list, show, replay, park, actions, redact
  token      print a development-mode bearer token (development mode only)

configuration comes from environment variables; see docs/configuration.md`;

const service = (what: string): CommandSpec => ({
  usage: `usage: wsb-gateway ${what}

Runs until SIGTERM or SIGINT. Applies pending database migrations at start. Configuration comes from
environment variables (docs/configuration.md); health and metrics on ADMIN_PORT (default 9090).`,
  options: {},
});

/** The top-level commands other than `outbox` (which has subcommands of its own). */
export const GATEWAY_COMMANDS = {
  serve: service('serve\n\nHTTP intake on PORT (default 8080): the two Webservicebesked endpoints.'),
  relay: service('relay\n\nThe relay worker: publishes the outbox to RabbitMQ with publisher confirms.'),
  start: service('start\n\nserve, relay and console in one process (what `npm start` runs).'),
  console: {
    usage: `usage: wsb-gateway console

The web console for operators and auditors on CONSOLE_PORT (default 8081); docs/console.md.
Runs until SIGTERM or SIGINT.`,
    options: {},
  },
  migrate: {
    usage: `usage: wsb-gateway migrate

Applies pending database migrations to DATABASE_URL and exits. The operator commands never
migrate; serve, relay and start apply pending migrations at start (docs/operations.md#upgrading).`,
    options: {},
  },
  token: {
    usage: `usage: wsb-gateway token [--client-id ID] [--scope SCOPE] [--ttl SECONDS]

Prints a development-mode bearer token (refused when AUTH_* is configured).
  --client-id ID     the token's client id (default development-client)
  --scope SCOPE      space-separated scopes (default: the ones the endpoints require)
  --ttl SECONDS      lifetime (default 3600)`,
    options: { 'client-id': { type: 'string' }, scope: { type: 'string' }, ttl: { type: 'string' } },
  },
} satisfies Record<string, CommandSpec>;

export type GatewayCommand = keyof typeof GATEWAY_COMMANDS;

export function isGatewayCommand(name: string): name is GatewayCommand {
  return Object.hasOwn(GATEWAY_COMMANDS, name);
}
