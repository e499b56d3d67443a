import { expect } from 'chai';
import { ConfigurationError, loadConfiguration } from '../../src/composition/configuration';

describe('configuration: AMQP_URL, one broker or a cluster’s nodes', () => {
  const load = (AMQP_URL: string) => loadConfiguration({ AMQP_URL }, { servesHttp: false });
  const problemsOf = (AMQP_URL: string): readonly string[] => {
    try {
      load(AMQP_URL);
      return [];
    } catch (error) {
      if (error instanceof ConfigurationError) return error.problems;
      throw error;
    }
  };

  it('takes one URL as it is', () => {
    expect(load('amqps://u:p@rabbit.example:5671/vh').amqpUrl).to.equal('amqps://u:p@rabbit.example:5671/vh');
  });

  it('takes a comma-separated list of nodes, trimmed, empty entries dropped', () => {
    expect(load(' amqp://a:5672 , amqp://b:5673,,amqps://c:5671 ').amqpUrl).to.equal(
      'amqp://a:5672,amqp://b:5673,amqps://c:5671',
    );
  });

  it('names each bad entry by its position, never its value (URLs carry passwords)', () => {
    const problems = problemsOf('amqp://guest:secret@a:5672,http://guest:secret@b,not a url');
    expect(problems).to.deep.equal([
      'AMQP_URL entry 2 must use amqp: or amqps: (got http:)',
      'AMQP_URL entry 3 is not a valid URL',
    ]);
    expect(problems.join(' ')).to.not.include('secret');
  });

  it('refuses a list of nothing', () => {
    expect(problemsOf(' , ,')).to.deep.equal(['AMQP_URL names no URL']);
  });
});
