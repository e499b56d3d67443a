import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

/**
 * Structured JSON logs: on stdout for the services, on stderr for operator commands (whose stdout
 * is their output). Redaction is a second line of defence: no code path is meant to log a token, a
 * CPR number or a payload in the first place.
 */
export function createLogger(
  level: string,
  name: string,
  fd: 1 | 2 = 1,
  format: 'auto' | 'json' | 'pretty' = 'json',
): Logger {
  const terminal = fd === 1 ? process.stdout.isTTY : process.stderr.isTTY;
  // Readable lines for a person at a terminal (the redaction below applies before formatting);
  // JSON everywhere else, for log collectors.
  const destination =
    format === 'pretty' || (format === 'auto' && terminal === true)
      ? pretty({
          destination: fd,
          sync: true,
          colorize: terminal === true,
          translateTime: 'SYS:HH:MM:ss.l',
          ignore: 'pid,hostname,service',
        })
      : pino.destination({ fd, sync: fd === 2 });
  return pino(
    {
      name,
      level,
      base: { service: 'wsb-gateway', component: name },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'authorization',
          '*.authorization',
          'payload',
          '*.payload',
          'cprNummer',
          '*.cprNummer',
          'cprNumre',
          '*.cprNumre',
          'token',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

/**
 * An error's message as one line of text, for a log field that has always been a string (`err`) and
 * for messages to an operator. These errors come from drivers and the file system, never carry a
 * request's values, and keep their field's shape in the logs; summarise() is for new fields.
 */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** An error for the log: name, message and code, never request values (they can hold CPR numbers). */
export function summarise(error: unknown): { name: string; message: string; code?: string; cause?: string } {
  if (!(error instanceof Error)) return { name: 'NonError', message: typeof error };
  const code = (error as { code?: unknown }).code;
  const cause = error.cause instanceof Error ? `${error.cause.name}: ${error.cause.message}` : undefined;
  return {
    name: error.name,
    message: error.message,
    ...(typeof code === 'string' ? { code } : {}),
    ...(cause !== undefined ? { cause } : {}),
  };
}
