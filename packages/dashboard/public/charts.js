// One uPlot chart per jail: failures (attempts) and bans per slot. Colours come from the style
// sheet's variables, so the page has one palette.
import { el } from './tables.js';

const charts = new Map();

function colour(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

function options(width, title, step) {
  const failures = colour('--failures');
  const bans = colour('--bans');
  return {
    title,
    width,
    height: 170,
    scales: {
      // Points sit in the middle of their slot: the axis runs from the first slot's start to the current one's end.
      x: { time: true, range: (_u, min, max) => [min - step / 2, max + step / 2] },
      y: { range: (_u, _min, max) => [0, Math.max(1, max)] },
    },
    series: [
      {},
      { label: 'failures', stroke: failures, width: 2, fill: `${failures}33`, points: { show: false } },
      { label: 'bans', stroke: bans, width: 2, fill: `${bans}88`, points: { show: false }, paths: globalThis.uPlot.paths.bars({ size: [0.6, 24] }) },
    ],
    axes: [{}, { size: 45 }],
  };
}

/** Draw (or update) the charts for an /api/activity answer, the last `points` slots of each series. */
export function renderCharts(box, activity, points) {
  const n = Math.min(points, activity.jails[0]?.failures.length ?? 0);
  const first = activity.jails[0] ? activity.jails[0].failures.length - n : 0;
  const xs = Array.from({ length: n }, (_, i) => activity.start / 1000 + (first + i + 0.5) * activity.step);
  const seen = new Set();
  for (const j of activity.jails) {
    seen.add(j.name);
    const data = [xs, j.failures.slice(first), j.bans.slice(first)];
    let c = charts.get(j.name);
    if (!c) {
      const holder = el('div', { class: 'plot' });
      const node = el('div', { class: 'chart', 'data-jail': j.name }, holder);
      box.append(node);
      const width = Math.max(320, box.clientWidth - 10);
      c = { node, step: activity.step, plot: new globalThis.uPlot(options(width, j.name, activity.step), data, holder) };
      charts.set(j.name, c);
    } else if (c.step !== activity.step) {
      // Another scale: a new chart (the x range depends on the slot length).
      c.plot.destroy();
      c.step = activity.step;
      c.plot = new globalThis.uPlot(options(Math.max(320, box.clientWidth - 10), j.name, activity.step), data, c.node.firstChild);
    } else {
      c.plot.setData(data);
    }
  }
  for (const [name, c] of charts) {
    if (!seen.has(name)) {
      c.plot.destroy();
      c.node.remove();
      charts.delete(name);
    }
  }
}

/** Resize the charts with the page. */
export function resizeCharts(box) {
  const width = Math.max(320, box.clientWidth - 10);
  for (const c of charts.values()) c.plot.setSize({ width, height: 170 });
}
