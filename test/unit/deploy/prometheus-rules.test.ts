import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const RULES_DIR = join(__dirname, '..', '..', '..', 'deploy', 'prometheus');

function promtool(...args: string[]) {
  return spawnSync('promtool', args, { cwd: RULES_DIR, encoding: 'utf8', timeout: 60_000 });
}

/**
 * deploy/prometheus/alerts.yaml is valid and each rule fires, and stays quiet, where
 * alerts.test.yaml says. promtool comes from Debian's `prometheus` package; `.ci/run` installs it.
 */
interface RuleTests {
  tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts?: unknown[] }> }>;
}

describe('deploy/prometheus: alert rules', function () {
  it('each have a case where they fire and one where they stay quiet', () => {
    const rules = parse(readFileSync(join(RULES_DIR, 'alerts.yaml'), 'utf8')) as {
      groups: Array<{ rules: Array<{ alert: string }> }>;
    };
    const cases = (
      parse(readFileSync(join(RULES_DIR, 'alerts.test.yaml'), 'utf8')) as RuleTests
    ).tests.flatMap((test) => test.alert_rule_test ?? []);
    for (const { alert } of rules.groups.flatMap((g) => g.rules)) {
      const own = cases.filter((c) => c.alertname === alert);
      expect(
        own.some((c) => (c.exp_alerts ?? []).length > 0),
        `${alert} fires somewhere`,
      ).to.equal(true);
      expect(
        own.some((c) => (c.exp_alerts ?? []).length === 0),
        `${alert} stays quiet somewhere`,
      ).to.equal(true);
    }
  });

  describe('with promtool', function () {
    before(function () {
      if (promtool('--version').error !== undefined) {
        console.warn('    promtool not found (apt-get install prometheus): alert rule tests skipped');
        this.skip();
      }
    });

    it('pass `promtool check rules`', () => {
      const result = promtool('check', 'rules', 'alerts.yaml');
      expect(result.status, result.stdout + result.stderr).to.equal(0);
      expect(result.stdout).to.match(/SUCCESS: \d+ rules found/);
    });

    it('pass their unit tests (`promtool test rules`): one firing and one quiet case per rule', () => {
      const result = promtool('test', 'rules', 'alerts.test.yaml');
      expect(result.status, result.stdout + result.stderr).to.equal(0);
      expect(result.stdout).to.include('SUCCESS');
    });
  });
});
