import { errorMessage } from '../logging';

/** An error's message, never its full object: a connection error's URL may carry a password. */
export function describe(error: unknown): string {
  const text = errorMessage(error);
  return text.replace(/amqps?:\/\/[^@\s]*@/g, 'amqp://***@');
}
