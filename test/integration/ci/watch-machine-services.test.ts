import { expect } from 'chai';
import { watchPostgres, watchRabbitMq } from '../../../scripts/watch-machine-services';
import { TEST_POSTGRES_URL } from '../../support/postgres';
import { TEST_AMQP_URL } from '../../support/rabbitmq';

/**
 * .ci/run's watcher of the machine's servers reports nothing while nothing happens to them. That it
 * sees an outage is shown where a test has servers of its own to stop: the broker-restart test and
 * fault scenario 3.
 */
describe('the watcher of the machine’s PostgreSQL and RabbitMQ (.ci/run)', function () {
  this.timeout(30_000);

  it('reports no problem while both servers stay up', async () => {
    const watches = [await watchPostgres(TEST_POSTGRES_URL, 100), await watchRabbitMq(TEST_AMQP_URL, 100)];
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const problems = await Promise.all(watches.map((w) => w.stop()));
    expect(problems.flat()).to.deep.equal([]);
  });
});
