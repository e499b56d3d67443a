import { randomUUID } from 'node:crypto';
import type { Clock } from '../../application/clock';
import type { IdGenerator } from '../../application/intake/ports';

export const systemClock: Clock = { now: () => new Date() };
export const randomIds: IdGenerator = { uuid: () => randomUUID() };
