// f2b's dashboard: fetches what the daemon knows (read-only JSON API) and shows it; refreshes on
// the daemon's change events, and every 30 s so the time axes move on.
import { get, listen } from './api.js';
import { renderCharts, resizeCharts } from './charts.js';
import { el, renderAddress, renderBans, renderJails, renderOffenders, renderRules, time } from './tables.js';

const $ = (id) => document.getElementById(id);
const SCALES = {
  hour1: { scale: 'minute', points: 60 },
  hour6: { scale: 'minute', points: 360 },
  day: { scale: 'minute', points: 1440 },
  week: { scale: 'hour', points: 168 },
  month: { scale: 'hour', points: 720 },
};
const state = { sort: 'start', order: 'desc', q: '', jail: '', scale: 'hour1', address: '' };

function showError(where, err) {
  where.replaceChildren(el('p', { class: 'no' }, String(err.message ?? err)));
}

async function refreshBans() {
  const page = await get('bans', { q: state.q, jail: state.jail, sort: state.sort, order: state.order, limit: 200 });
  renderBans($('bans').tBodies[0], page, showAddress);
  $('bans-count').textContent = page.matched === page.total ? `(${page.total})` : `(${page.matched} of ${page.total})`;
  for (const th of $('bans').tHead.rows[0].cells) th.className = th.dataset.sort === state.sort ? state.order : '';
}

async function refreshActivity() {
  const s = SCALES[state.scale];
  renderCharts($('charts'), await get('activity', { scale: s.scale }), s.points);
}

async function showAddress(ip) {
  state.address = ip;
  $('address-input').value = ip;
  try {
    renderAddress($('address'), await get('address', { ip }));
  } catch (err) {
    showError($('address'), err);
  }
}

let running = null;
let again = false;
/** Refresh everything; a change during a refresh runs one more after it (never two at once). */
async function refresh() {
  if (running) {
    again = true;
    return running;
  }
  running = (async () => {
    try {
      const [overview, offenders, rules] = await Promise.all([get('overview'), get('offenders', { limit: 15 }), get('rules')]);
      $('version').textContent = `version ${overview.version}`;
      renderJails($('jails').tBodies[0], overview);
      const select = $('ban-jail');
      const names = overview.jails.map((j) => j.name);
      if (
        [...select.options]
          .slice(1)
          .map((o) => o.value)
          .join('\n') !== names.join('\n')
      ) {
        select.replaceChildren(el('option', { value: '' }, 'all jails'), ...names.map((n) => el('option', { value: n }, n)));
        select.value = names.includes(state.jail) ? state.jail : '';
      }
      renderOffenders($('offenders').tBodies[0], $('ranges').tBodies[0], offenders, showAddress);
      renderRules($('rules'), rules);
      await Promise.all([refreshBans(), refreshActivity(), state.address ? showAddress(state.address) : null]);
      $('updated').textContent = `updated ${time(overview.now)}`;
      document.body.dataset.loaded = String(Number(document.body.dataset.loaded ?? 0) + 1);
    } catch (err) {
      $('updated').textContent = `update failed: ${err.message}`;
    } finally {
      running = null;
      if (again) {
        again = false;
        void refresh();
      }
    }
  })();
  return running;
}

function wire() {
  let typing = null;
  $('ban-search').addEventListener('input', (e) => {
    clearTimeout(typing);
    typing = setTimeout(() => {
      state.q = e.target.value;
      void refreshBans();
    }, 200);
  });
  $('ban-jail').addEventListener('change', (e) => {
    state.jail = e.target.value;
    void refreshBans();
  });
  for (const th of $('bans').tHead.rows[0].cells) {
    th.addEventListener('click', () => {
      const sort = th.dataset.sort;
      if (state.sort === sort) state.order = state.order === 'asc' ? 'desc' : 'asc';
      else {
        state.sort = sort;
        state.order = ['ip', 'jail', 'rule'].includes(sort) ? 'asc' : 'desc';
      }
      void refreshBans();
    });
  }
  for (const radio of document.querySelectorAll('input[name=scale]')) {
    radio.addEventListener('change', () => {
      state.scale = radio.value;
      void refreshActivity();
    });
  }
  $('address-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const ip = $('address-input').value.trim();
    if (ip) void showAddress(ip);
  });
  window.addEventListener('resize', () => resizeCharts($('charts')));
  listen(
    () => void refresh(),
    (open) => {
      $('live').textContent = open ? 'live' : 'polling';
      $('live').className = `live ${open ? 'on' : 'off'}`;
    },
  );
  setInterval(() => void refresh(), 30_000);
}

wire();
void refresh();
