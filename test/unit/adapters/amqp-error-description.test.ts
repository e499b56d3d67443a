import { expect } from 'chai';
import { describe as describeError } from '../../../src/adapters/rabbitmq/describe-error';

describe('AMQP errors as the publisher logs them', () => {
  it('hides the credentials of an amqps:// URL and keeps its scheme, so the log shows TLS is in use', () => {
    const text = describeError(new Error('could not reach amqps://relay:s3cret@rabbit.example:5671/vh'));
    expect(text).to.equal('could not reach amqps://***@rabbit.example:5671/vh');
  });

  it('hides the credentials of every amqp:// URL in the message', () => {
    const text = describeError(new Error('amqp://a:x@n1:5672 failed, then amqps://b:y@n2:5671 too'));
    expect(text).to.equal('amqp://***@n1:5672 failed, then amqps://***@n2:5671 too');
    expect(text).to.not.match(/[xy]@/);
  });

  it('leaves a message without a URL as it is', () => {
    expect(describeError(new Error('connect ECONNREFUSED 127.0.0.1:5671'))).to.equal(
      'connect ECONNREFUSED 127.0.0.1:5671',
    );
  });
});
