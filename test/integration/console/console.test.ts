import { type ConsoleWorld, openConsoleWorld } from '../../support/console-world';
import { accessibility } from './accessibility';
import { csrf } from './csrf';
import { escaping } from './escaping';
import { journey } from './journey';
import { roles } from './roles';

/**
 * The console end to end: `wsb-gateway console` on a database filled through the real intake and
 * relay, driven by Debian's headless Chromium. One world for all the suites (starting it is the slow
 * part); they run in this order, and each reads the state it checks before it acts.
 */
describe('console in a browser (Chromium, both roles)', function () {
  this.timeout(120_000);
  let opened: ConsoleWorld | undefined;
  const world = (): ConsoleWorld => {
    if (opened === undefined) throw new Error('the console world did not open');
    return opened;
  };

  before(async () => {
    opened = await openConsoleWorld();
  });

  after(async () => {
    await opened?.close();
  });

  journey(world);
  roles(world);
  csrf(world);
  escaping(world);
  accessibility(world);
});
