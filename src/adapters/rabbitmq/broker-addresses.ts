/**
 * `AMQP_URL` names one broker, or a RabbitMQ cluster's nodes as a comma-separated list of URLs
 * (CONTRACT §5). Each entry is a full amqp: or amqps: URL, so nodes may differ in port,
 * credentials or TLS.
 */
export function brokerAddresses(value: string): string[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

/** Where a broker URL points, for logs: host and port, never the credentials. */
export function brokerHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid URL)';
  }
}
