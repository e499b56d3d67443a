import { errorMessage } from '../logging';

/**
 * An error's message, never its full object: a connection error's URL may carry a password. The
 * credentials are hidden, the scheme kept (`amqps` tells the operator TLS is in use).
 */
export function describe(error: unknown): string {
  const text = errorMessage(error);
  return text.replace(/\b(amqps?):\/\/[^@\s]*@/g, '$1://***@');
}
