/**
 * `apache-badbots`: requests by e-mail harvesters, comment spammers and attack tools that announce
 * themselves in the User-Agent, in the access log (common/combined format; also nginx's, which is the
 * same). The user agent is located by the line's structure (request, status, size, referer, agent), so a
 * name in the URL or the referer does not count.
 */
import type { FilterDefinition } from '@f2b/core';
import { ACCESS_START, QUOTED } from './common.js';

/** User-agent fragments (case-insensitive) of tools that have no business on a web site. */
export const BAD_AGENTS = [
  // e-mail address harvesters and spam tools
  'EmailCollector',
  'EmailSiphon',
  'EmailWolf',
  'Email ?Extractor',
  'WebEMailExtrac',
  'ExtractorPro',
  'Atomic_Email_Hunter',
  'CherryPicker',
  'Mail Sweeper',
  'autoemailspider',
  'ContactBot',
  'WebBandit',
  'Microsoft URL Control',
  'Guestbook Auto Submitter',
  'Franklin Locator',
  'NICErsPRO',
  'DataCha0s',
  // trackback/comment spam
  'TrackBack/',
  // attack and scanning tools that do not hide their name
  'ZmEu',
  'Morfeus',
  'masscan',
  'zgrab',
  'sqlmap',
  'Nikto',
  'w3af',
  'Nmap Scripting Engine',
  'WPScan',
  'Fuzz Faster U Fool',
  'dirbuster',
  'gobuster',
  'Hydra',
  'Jorgee',
  'l9explore',
  'l9tcpid',
  'CensysInspect',
];

export const apacheBadbotsFilter: FilterDefinition = {
  id: 'apache-badbots',
  // Addresses reach the rules only as whole tokens through placeholders: one memo entry per message.
  volatileAddresses: true,
  description: 'Access log: user agents of e-mail harvesters, spam and attack tools',
  rules: [
    {
      id: 'bad-agent',
      // request, status, size, referer, then the agent field, which must contain a listed name
      pattern: `${ACCESS_START}${QUOTED} [0-9]{3} [0-9-]+ ${QUOTED} "(?:[^"\\\\]|\\\\.)*(?i:${BAD_AGENTS.join('|')})(?:[^"\\\\]|\\\\.)*"(?: .*)?$`,
    },
  ],
};
