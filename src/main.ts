#!/usr/bin/env node
import { createLogger, errorMessage } from './adapters/logging';
import { migrate } from './commands/migrate';
import { outbox } from './commands/outbox';
import { runServices } from './commands/services';
import { printToken } from './commands/token';
import { type Configuration, ConfigurationError, loadConfiguration } from './composition/configuration';

const USAGE = `usage: wsb-gateway <command>

commands:
  serve      HTTP intake (the two Webservicebesked endpoints) into the outbox
  relay      worker: publishes the outbox to RabbitMQ (any number may run at once)
  start      serve, relay and console in one process
  console    web console for operators and auditors (CONSOLE_PORT, default 8081)
  migrate    apply database migrations and exit
  outbox     operator commands: stats, show, replay, park, redact (wsb-gateway outbox --help)
  token      print a development-mode bearer token (development mode only)
             [--client-id ID] [--scope SCOPE] [--ttl SECONDS]

configuration comes from environment variables; see docs/configuration.md`;

const EX_CONFIG = 78;

/** Maps the command line to a command and its exit code; the commands live in src/commands/. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === 'help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  let config: Configuration;
  try {
    config = loadConfiguration(process.env, {
      servesHttp: command === 'serve' || command === 'start',
      servesConsole: command === 'console' || command === 'start',
    });
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return EX_CONFIG;
  }
  const service = command === 'serve' || command === 'relay' || command === 'start' || command === 'console';
  const logger = createLogger(config.logLevel, command, service ? 1 : 2, config.logFormat);
  switch (command) {
    case 'token':
      return printToken(config, rest);
    case 'migrate':
      return migrate(config, logger);
    case 'serve':
    case 'relay':
    case 'start':
    case 'console':
      return runServices(command, config, logger);
    case 'outbox':
      return outbox(config, logger, rest);
    default:
      process.stderr.write(`unknown command "${command}"\n${USAGE}\n`);
      return 2;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (error instanceof ConfigurationError) {
        process.stderr.write(`${error.message}\n`);
        process.exit(EX_CONFIG);
      }
      process.stderr.write(`wsb-gateway failed: ${errorMessage(error)}\n`);
      process.exit(1);
    },
  );
}
