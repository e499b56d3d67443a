import type { GatewayMetrics } from '../../src/adapters/metrics/gateway-metrics';

/** The value of one sample, by metric name and labels (0 when absent). */
export async function metricValue(
  metrics: GatewayMetrics,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  const sample = values.find(
    (v) =>
      (v as { metricName?: string }).metricName === undefined &&
      Object.entries(labels).every(([k, l]) => String((v.labels as Record<string, unknown>)[k]) === l),
  );
  return sample?.value ?? 0;
}
