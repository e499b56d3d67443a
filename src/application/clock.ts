/** The time now: the intake stamps accepted messages with it, the relay and operations read it. */
export interface Clock {
  now(): Date;
}
