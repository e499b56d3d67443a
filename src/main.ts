#!/usr/bin/env node
import { parseCommand, UsageError } from './adapters/cli/arguments';
import { GATEWAY_COMMANDS, GATEWAY_USAGE, isGatewayCommand } from './adapters/cli/gateway-commands';
import { parseOutboxCommandLine } from './adapters/cli/outbox-cli';
import { createLogger, errorMessage } from './adapters/logging';
import { migrate } from './commands/migrate';
import { outbox } from './commands/outbox';
import { runServices } from './commands/services';
import { printToken } from './commands/token';
import { type Configuration, ConfigurationError, loadConfiguration } from './composition/configuration';

const EX_USAGE = 2;
const EX_CONFIG = 78;

/**
 * Maps the command line to a command and its exit code; the commands live in src/commands/. The
 * arguments are parsed before anything else, so `--help` and a usage error never read the
 * configuration, open the database or listen.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === 'help' || command === '-h') {
    process.stdout.write(`${GATEWAY_USAGE}\n`);
    return command === undefined ? EX_USAGE : 0;
  }
  let parsed;
  try {
    if (command === 'outbox') parsed = parseOutboxCommandLine(rest);
    else if (isGatewayCommand(command)) parsed = parseCommand(rest, GATEWAY_COMMANDS[command]);
    else {
      process.stderr.write(`unknown command "${command}"\n\n${GATEWAY_USAGE}\n`);
      return EX_USAGE;
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${error.usage}\n`);
    return EX_USAGE;
  }
  if (parsed._tag === 'Help') {
    process.stdout.write(`${parsed.usage}\n`);
    return 0;
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
      process.stderr.write(`unknown command "${command}"\n\n${GATEWAY_USAGE}\n`);
      return EX_USAGE;
  }
}

/** What a command that threw tells the operator, and its exit code. */
export function reportFailure(error: unknown): number {
  if (error instanceof ConfigurationError) {
    process.stderr.write(`${error.message}\n`);
    return EX_CONFIG;
  }
  process.stderr.write(`wsb-gateway failed: ${errorMessage(error)}\n`);
  return 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => process.exit(reportFailure(error)),
  );
}
