import { describe, it } from 'vitest';
import { FilterTester } from '@f2b/core/testing';
import { sshdFilter } from '../src/index.js';

// The sample log with invalid bytes in every user name is checked by testFilterPackage (sshd.test.ts).
FilterTester.describe = describe;
FilterTester.it = it;

FilterTester.run(sshdFilter, {
  valid: [],
  invalid: [
    {
      name: 'a user name that is one invalid byte',
      line: Buffer.from('Jan  5 01:31:41 www sshd[1643]: Failed password for \xff from 203.0.113.5 port 22 ssh2', 'latin1'),
      id: '203.0.113.5',
      captures: { user: '\uFFFD' },
    },
    {
      name: 'a Latin-1 user name',
      line: Buffer.from('Jan  5 01:31:42 www sshd[1644]: Invalid user \xe9t\xe9 from 203.0.113.6 port 22', 'latin1'),
      id: '203.0.113.6',
      captures: { user: '\uFFFDt\uFFFD' },
    },
  ],
});
