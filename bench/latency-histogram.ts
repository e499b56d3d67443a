/**
 * A latency histogram as a standalone SVG, written by hand (no charting dependency): buckets on
 * a 1–2–3–5 scale so that a millisecond tail and a second-long one fit one picture, a bar and a
 * count per bucket, the percentiles in the caption.
 */
const EDGES_MS = [1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 70, 100, 150, 200, 300, 500, 700, 1000, 2000, 5000];

export interface HistogramBucket {
  readonly label: string;
  readonly count: number;
}

export function latencyBuckets(latenciesMs: readonly number[]): HistogramBucket[] {
  const counts = new Array<number>(EDGES_MS.length + 1).fill(0);
  for (const ms of latenciesMs) {
    const i = EDGES_MS.findIndex((edge) => ms <= edge);
    counts[i === -1 ? EDGES_MS.length : i]! += 1;
  }
  const buckets = counts.map((count, i) => ({
    label: i === EDGES_MS.length ? `>${EDGES_MS.at(-1)}` : `≤${EDGES_MS[i]}`,
    count,
  }));
  // Trim empty buckets above the largest value; keep the low end so runs compare at a glance.
  let last = buckets.length - 1;
  while (last > 0 && buckets[last]!.count === 0) last--;
  return buckets.slice(0, Math.max(last + 1, 6));
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function latencyHistogramSvg(
  latenciesMs: readonly number[],
  options: { title: string; caption: string },
): string {
  const buckets = latencyBuckets(latenciesMs);
  const width = 760;
  const height = 380;
  const margin = { top: 56, right: 20, bottom: 64, left: 64 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const peak = Math.max(1, ...buckets.map((b) => b.count));
  const slot = plotWidth / buckets.length;
  const barWidth = slot * 0.8;
  const y = (count: number) => margin.top + plotHeight - (count / peak) * plotHeight;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(options.title)}</text>`,
    `<text x="${width / 2}" y="42" text-anchor="middle" fill="#444">${escapeXml(options.caption)}</text>`,
  );
  for (let i = 0; i <= 4; i++) {
    const value = Math.round((peak * i) / 4);
    const gy = y(value);
    parts.push(
      `<line x1="${margin.left}" y1="${gy.toFixed(1)}" x2="${width - margin.right}" y2="${gy.toFixed(1)}" stroke="#e5e5e5"/>`,
      `<text x="${margin.left - 6}" y="${(gy + 4).toFixed(1)}" text-anchor="end" fill="#444">${value}</text>`,
    );
  }
  buckets.forEach((bucket, i) => {
    const x = margin.left + i * slot + (slot - barWidth) / 2;
    const top = y(bucket.count);
    parts.push(
      `<rect x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${barWidth.toFixed(1)}" height="${(margin.top + plotHeight - top).toFixed(1)}" fill="#3b6ea5"><title>${escapeXml(bucket.label)} ms: ${bucket.count}</title></rect>`,
      `<text x="${(x + barWidth / 2).toFixed(1)}" y="${(margin.top + plotHeight + 16).toFixed(1)}" text-anchor="middle">${escapeXml(bucket.label)}</text>`,
    );
    if (bucket.count > 0) {
      parts.push(
        `<text x="${(x + barWidth / 2).toFixed(1)}" y="${(top - 4).toFixed(1)}" text-anchor="middle" font-size="10" fill="#222">${bucket.count}</text>`,
      );
    }
  });
  parts.push(
    `<line x1="${margin.left}" y1="${margin.top + plotHeight}" x2="${width - margin.right}" y2="${margin.top + plotHeight}" stroke="#222"/>`,
    `<line x1="${margin.left}" y1="${margin.top}" x2="${margin.left}" y2="${margin.top + plotHeight}" stroke="#222"/>`,
    `<text x="${width / 2}" y="${height - 14}" text-anchor="middle">HTTP 200 → consumer receipt, milliseconds (bucket upper bound)</text>`,
    `<text x="16" y="${margin.top + plotHeight / 2}" text-anchor="middle" transform="rotate(-90 16 ${margin.top + plotHeight / 2})">messages</text>`,
    '</svg>',
  );
  return `${parts.join('\n')}\n`;
}
