/**
 * What the annotated sample logs cannot say: how many attempts a line stands for, and lines that are
 * counted or not depending on the lines before them.
 */
import { describe, expect, it } from 'vitest';
import { EntryParser, FilterRunner, type FilterDefinition } from '@f2b/core';
import { grafanaFilter, pamGenericFilter, recidiveFilter } from '../src/index.js';

const NOW = Date.parse('2024-12-31T12:00:00Z');
const parser = new EntryParser({ timezone: 'UTC', now: () => NOW });
const run = (def: FilterDefinition, lines: string[]) => {
  const runner = new FilterRunner(def, {});
  return lines.flatMap((l) => runner.process(parser.parse(Buffer.from(l)), NOW));
};

describe('pam-generic', () => {
  it("counts pam_unix's summary as the number of failures it reports", () => {
    const out = run(pamGenericFilter, [
      'Feb 23 23:00:00 host sshd[100]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.1  user=root',
      'Feb 23 23:00:09 host sshd[100]: PAM 3 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.1  user=root',
    ]);
    expect(out.map((f) => [f.id, f.attempts])).toEqual([
      ['203.0.113.1', 1],
      ['203.0.113.1', 3],
    ]);
  });

  it('counts pam_sss after pam_unix once, but pam_sss of another process or much later again', () => {
    const unix = (t: string, pid: number) =>
      `Feb 23 23:00:${t} host sshd[${pid}]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.2  user=ann`;
    const sss = (t: string, pid: number) =>
      `Feb 23 23:00:${t} host sshd[${pid}]: pam_sss(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.2 user=ann`;
    expect(run(pamGenericFilter, [unix('00', 1), sss('01', 1)])).toHaveLength(1);
    expect(run(pamGenericFilter, [unix('00', 1), sss('01', 2)])).toHaveLength(2);
    expect(run(pamGenericFilter, [unix('00', 1), sss('30', 1)])).toHaveLength(2);
  });
});

describe('grafana', () => {
  const invalid = (t: string, addr: string) =>
    `logger=context userId=0 orgId=0 uname= t=2024-09-18T18:00:${t}Z level=error msg="Invalid username or password" error="invalid username or password" remote_addr=${addr} traceID=`;
  const completed = (t: string, addr: string) =>
    `logger=context userId=0 orgId=0 uname= t=2024-09-18T18:00:${t}Z level=info msg="Request Completed" method=POST path=/login status=401 remote_addr=${addr} time_ms=80 duration=80ms size=42 referer= handler=/login`;

  it("counts Grafana 8-9's two lines of one failed login once, and 10+'s single line", () => {
    expect(run(grafanaFilter, [invalid('01', '203.0.113.3'), completed('01', '203.0.113.3')]).map((f) => f.rule)).toEqual(['invalid-login']);
    expect(run(grafanaFilter, [completed('02', '203.0.113.4'), completed('03', '203.0.113.4')])).toHaveLength(2);
  });

  it("does not let one address's error line hide another address's failure", () => {
    expect(run(grafanaFilter, [invalid('01', '203.0.113.5'), completed('01', '203.0.113.6')]).map((f) => f.id)).toEqual(['203.0.113.5', '203.0.113.6']);
  });
});

describe('recidive', () => {
  it("times a JSON ban line by the ban's start", () => {
    const [f] = run(recidiveFilter, ['{"event":"ban","jail":"sshd","id":"203.0.113.7","start":1711274409000,"end":null,"count":1,"failures":5}']);
    expect(f?.time).toBe(1711274409000);
  });
});
