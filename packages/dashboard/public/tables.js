// Tables and panels, built with DOM calls only: text from the daemon (addresses, rules, log lines)
// goes in as text nodes, never as markup.

/** An element with attributes (strings) and children (nodes, or strings as text). */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) e.setAttribute(k, String(v));
  for (const c of children) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

const pad = (n) => String(n).padStart(2, '0');

/** `2026-12-07 06:40:12`, local time. */
export function time(ms) {
  if (ms === null || ms === undefined) return '';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** `3h 20m` for a number of milliseconds. */
export function span(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 === 0 ? `${h}h` : `${h}h ${m % 60}m`;
  return h % 24 === 0 ? `${Math.floor(h / 24)}d` : `${Math.floor(h / 24)}d ${h % 24}h`;
}

export function until(end, now) {
  return end === null ? 'permanent' : `${time(end)} (in ${span(end - now)})`;
}

const num = (n) => el('td', { class: 'num' }, n.toLocaleString('en'));

/** Replace a table body's rows; `empty` says what no row means. */
export function fill(tbody, rows, columns, empty) {
  tbody.replaceChildren(...(rows.length > 0 ? rows : [el('tr', {}, el('td', { colspan: columns, class: 'empty' }, empty))]));
}

export function renderJails(tbody, overview) {
  fill(
    tbody,
    overview.jails.map((j) =>
      el(
        'tr',
        { 'data-jail': j.name },
        el('td', {}, j.name),
        el('td', {}, j.mode ? `${j.filter} (${j.mode})` : j.filter),
        num(j.currentlyBanned),
        num(j.totalBanned),
        num(j.currentlyFailed),
        num(j.totalFailed),
        num(j.ignored),
        num(j.lines),
        el('td', { class: j.watching ? 'yes' : 'no', title: j.problems.join('\n') }, j.watching ? 'yes' : `no: ${j.problems.join('; ')}`),
      ),
    ),
    9,
    'No jail runs.',
  );
}

/** An address that opens the address panel when clicked. */
export function ipLink(ip, show) {
  const a = el('a', { class: 'ip', role: 'button', tabindex: '0' }, ip);
  a.addEventListener('click', () => show(ip));
  a.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') show(ip);
  });
  return a;
}

export function renderBans(tbody, page, show) {
  fill(
    tbody,
    page.bans.map((b) =>
      el(
        'tr',
        {},
        el('td', { class: 'ip' }, ipLink(b.ip, show)),
        el('td', {}, b.jail),
        el('td', {}, time(b.start)),
        el('td', {}, until(b.end, page.now)),
        num(b.count),
        num(b.failures),
        el('td', {}, b.rule ?? ''),
      ),
    ),
    7,
    page.total === 0 ? 'No ban in force.' : 'No ban matches the search.',
  );
}

export function renderOffenders(offTbody, rangeTbody, data, show) {
  fill(
    offTbody,
    data.offenders.map((o) => el('tr', {}, el('td', { class: 'ip' }, ipLink(o.ip, show)), num(o.count), el('td', {}, o.jails.join(', ')), num(o.failures))),
    4,
    'No ban in force.',
  );
  fill(
    rangeTbody,
    data.ranges.map((r) => el('tr', {}, el('td', { class: 'mono' }, r.range), num(r.addresses), el('td', {}, r.jails.join(', ')))),
    3,
    'No ban in force.',
  );
}

export function renderRules(box, data) {
  box.replaceChildren(
    ...data.jails.map((j) =>
      el(
        'div',
        { class: 'rule-jail', 'data-jail': j.jail },
        el('h3', {}, `${j.jail} `, el('span', { class: 'muted' }, `filter ${j.filter}`)),
        j.rules.length === 0
          ? el('p', { class: 'empty' }, 'No rule matched yet.')
          : el(
              'table',
              {},
              el(
                'thead',
                {},
                el(
                  'tr',
                  {},
                  el('th', {}, 'rule'),
                  el('th', { class: 'num' }, 'hits'),
                  el('th', { class: 'num' }, 'last hour'),
                  el('th', { class: 'num' }, 'per minute'),
                  el('th', {}, 'share'),
                ),
              ),
              el(
                'tbody',
                {},
                ...j.rules.map((r) =>
                  el(
                    'tr',
                    {},
                    el('td', { class: 'mono' }, r.rule),
                    num(r.total),
                    num(r.lastHour),
                    el('td', { class: 'num' }, (r.lastHour / 60).toFixed(2)),
                    el('td', {}, el('meter', { min: '0', max: '1', value: String(r.share) }), ` ${(r.share * 100).toFixed(0)}%`),
                  ),
                ),
              ),
            ),
      ),
    ),
  );
}

/** The address panel: what each jail knows of one address (the hook point of `f2b explain`). */
export function renderAddress(box, v) {
  const jails = v.jails.map((j) =>
    el(
      'div',
      { class: 'jail', 'data-jail': j.jail },
      el('h3', {}, j.jail),
      j.neverBanned ? el('p', {}, `Never banned here: ${j.neverBanned}.`) : null,
      j.ban
        ? el(
            'p',
            {},
            `Banned since ${time(j.ban.start)}, until ${until(j.ban.end, v.now)}; ban #${j.ban.count}, ${j.ban.failures} failure(s), rule ${j.ban.rule ?? '—'}.`,
          )
        : el('p', {}, `Not banned; ${j.attempts} of ${j.maxretry} attempt(s) within the last ${span(j.findtime * 1000)}.`),
      ...(j.ban && j.ban.lines.length > 0 ? [el('p', { class: 'muted' }, 'Lines of the ban:'), el('pre', { class: 'lines' }, j.ban.lines.join('\n'))] : []),
      ...(j.lines.length > 0 ? [el('p', { class: 'muted' }, 'Failures inside findtime:'), el('pre', { class: 'lines' }, j.lines.join('\n'))] : []),
      ...((j.otherModes ?? []).length > 0
        ? [
            el(
              'p',
              { class: 'muted other-modes' },
              `Not counted in mode ${j.mode}: ${[...new Set(j.otherModes.map((o) => `${o.rule} (counted in mode ${o.modes.join(' or ')})`))].join(', ')}:`,
            ),
            el('pre', { class: 'lines' }, j.otherModes.flatMap((o) => o.lines).join('\n')),
          ]
        : []),
    ),
  );
  const history =
    v.history.length === 0
      ? el('p', { class: 'empty' }, 'No ban recorded.')
      : el(
          'table',
          {},
          el(
            'thead',
            {},
            el(
              'tr',
              {},
              el('th', {}, 'jail'),
              el('th', {}, 'since'),
              el('th', {}, 'until'),
              el('th', { class: 'num' }, 'ban #'),
              el('th', {}, 'rule'),
              el('th', {}, 'in force'),
            ),
          ),
          el(
            'tbody',
            {},
            ...v.history.map((b) =>
              el(
                'tr',
                {},
                el('td', {}, b.jail),
                el('td', {}, time(b.start)),
                el('td', {}, b.end === null ? 'permanent' : time(b.end)),
                num(b.count),
                el('td', {}, b.rule ?? ''),
                el('td', { class: b.active ? 'no' : 'muted' }, b.active ? 'yes' : 'no'),
              ),
            ),
          ),
        );
  box.replaceChildren(
    el('p', {}, el('strong', { class: 'mono' }, v.ip), v.banned ? ' is banned.' : ' is not banned.'),
    ...jails,
    el('h3', {}, 'History'),
    history,
  );
}
