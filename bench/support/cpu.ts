import { readdirSync, readFileSync } from 'node:fs';

/** CPU seconds (user + system) a process has used so far, from /proc; NaN if it is gone. */
export function cpuSecondsOf(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** CPU seconds used so far by each PostgreSQL server process on this machine, by pid. */
function postgresCpuByPid(): Map<number, number> {
  const cpu = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (!stat.includes('(postgres)')) continue;
      cpu.set(Number(entry), cpuSecondsOf(Number(entry)));
    } catch {
      // gone meanwhile
    }
  }
  return cpu;
}

/**
 * Starts counting the CPU of every PostgreSQL server process on this machine (all databases: the
 * server is shared, so other engineers' tests count too); the function returned gives the CPU
 * seconds used since. Counted per process: a backend that exits meanwhile (a pool closing) must
 * not subtract what it had used before — a plain difference of totals did, and reported 0.5 s of
 * PostgreSQL CPU for a 10 s drain. What an exiting backend used meanwhile is lost (undercounted).
 */
export function postgresCpuMeter(): () => number {
  const before = postgresCpuByPid();
  return () => {
    let used = 0;
    for (const [pid, seconds] of postgresCpuByPid()) {
      const delta = seconds - (before.get(pid) ?? 0);
      if (Number.isFinite(delta) && delta > 0) used += delta;
    }
    return used;
  };
}
