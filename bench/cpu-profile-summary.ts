/**
 * `npx tsx bench/cpu-profile-summary.ts <file.cpuprofile> [top] [window]`: self time by package or
 * file and by function, as shares of the non-idle time, from a `node --cpu-prof` profile (the relay's:
 * BENCH_RELAY_NODE_OPTIONS="--cpu-prof --cpu-prof-dir=…", bench/support/relay-process.ts).
 * `window` (default `relay-outbox`) keeps only the samples from the first to the last one whose stack
 * passes through a file of that name, so start-up and shutdown are left out; `all` keeps every sample.
 * Prints figures only; profiles are not committed.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, top = '30', window = 'relay-outbox'] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: cpu-profile-summary.ts <file.cpuprofile> [top] [window]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parentOf = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);

const inWindow = new Map<number, boolean>();
function passesThrough(id: number): boolean {
  const known = inWindow.get(id);
  if (known !== undefined) return known;
  const parent = parentOf.get(id);
  const result =
    byId.get(id)!.callFrame.url.includes(window) || (parent !== undefined && passesThrough(parent));
  inWindow.set(id, result);
  return result;
}
let first = 0;
let last = profile.samples.length - 1;
if (window !== 'all') {
  first = profile.samples.findIndex(passesThrough);
  last = profile.samples.findLastIndex(passesThrough);
}

// A sample's time is the delta to the next one.
const selfTime = new Map<number, number>();
for (let i = first; i <= last; i++) {
  const id = profile.samples[i]!;
  selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
}

const byFunction = new Map<string, number>();
const byPackage = new Map<string, number>();
let busy = 0;
let idle = 0;
for (const [id, micros] of selfTime) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  if (functionName === '(idle)') {
    idle += micros;
    continue;
  }
  busy += micros;
  const where = url
    .replace(/^file:\/\//, '')
    .replace(/.*node_modules\//, 'node_modules/')
    .replace(process.cwd() + '/', '');
  const add = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + micros);
  add(byFunction, `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`);
  const parts = where.split('/');
  add(
    byPackage,
    where === ''
      ? `${functionName} (native)`
      : where.startsWith('node_modules/')
        ? parts.slice(0, parts[1]!.startsWith('@') ? 3 : 2).join('/')
        : where.startsWith('node:')
          ? where.split('/')[0]!
          : where,
  );
}

function print(title: string, map: Map<string, number>, count: number): void {
  console.log(`--- ${title}`);
  for (const [key, micros] of [...map].sort((a, b) => b[1] - a[1]).slice(0, count)) {
    console.log(
      `${(micros / 1000).toFixed(0).padStart(7)} ms ${((100 * micros) / busy).toFixed(1).padStart(5)} %  ${key}`,
    );
  }
}
console.log(`busy ${(busy / 1000).toFixed(0)} ms, idle ${(idle / 1000).toFixed(0)} ms (window: ${window})`);
print('self time by package or file', byPackage, 20);
print('self time by function', byFunction, Number(top));
