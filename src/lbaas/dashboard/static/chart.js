// Line charts drawn as inline SVG: a time axis over the traffic window, a y axis from zero to a
// round maximum, one polyline per series. No library, nothing fetched.

import { h } from './dom.js';
import { WINDOW_MS } from './traffic.js';

const NS = 'http://www.w3.org/2000/svg';
const WIDTH = 460;
const HEIGHT = 170;
const PAD = { left: 62, right: 12, top: 10, bottom: 24 };

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  for (const child of children) if (child) el.append(child);
  return el;
}

/** A round number at or above `value` (1, 2, 5 times a power of ten). */
export function niceMax(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= value);
}

/** The time span to draw: what has been sampled, at least a minute, at most WINDOW_MS. */
export function spanOf(times, now = Date.now()) {
  return Math.min(WINDOW_MS, Math.max(60000, now - (times[0] ?? now)));
}

/**
 * A chart of series [{label, values, className}] over `times`; `format` writes the y values.
 * `minTop` keeps an idle chart's axis readable. Returns a <figure> with the SVG (role img,
 * described by its title and the latest values) and a legend.
 */
export function lineChart({ title, times, series, format, minTop = 1, now = Date.now() }) {
  const span = spanOf(times, now);
  const top = niceMax(Math.max(minTop, ...series.flatMap((s) => s.values).filter((v) => v != null)));
  const x = (t) => PAD.left + ((t - (now - span)) / span) * (WIDTH - PAD.left - PAD.right);
  const y = (v) => HEIGHT - PAD.bottom - (v / top) * (HEIGHT - PAD.top - PAD.bottom);
  const summary = series.map((s) => `${s.label} ${format(s.values[s.values.length - 1] ?? 0)}`);
  const seconds = Math.round(span / 1000);
  const chart = svg('svg', {
    class: 'chart', viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img',
    'aria-label': `${title} over the last ${seconds >= 120 ? `${Math.round(seconds / 60)} min` : `${seconds} s`}; now: ${summary.join(', ')}`,
    'data-span': seconds,
  },
  svg('title', {}, document.createTextNode(title)),
  grid(top, y, format), timeAxis(x, now, span),
  ...series.map((s) => svg('polyline', {
    class: s.className, 'data-series': s.label,
    points: times.map((t, i) => (t >= now - span && s.values[i] != null ? `${x(t).toFixed(1)},${y(s.values[i]).toFixed(1)}` : null))
      .filter(Boolean).join(' '),
  })));
  return h('figure', { class: 'chart-figure' }, chart,
    h('ul', { class: 'legend' }, series.map((s) => h('li', { class: s.className }, s.label))));
}

function grid(top, y, format) {
  const group = svg('g', { class: 'grid axis' });
  for (let i = 0; i <= 4; i += 1) {
    const value = (top * i) / 4;
    group.append(
      svg('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(value), y2: y(value) }),
      svg('text', { x: PAD.left - 6, y: y(value) + 4, 'text-anchor': 'end' },
        document.createTextNode(format(value))));
  }
  return group;
}

function timeAxis(x, now, span) {
  const group = svg('g', { class: 'axis' });
  const step = [15000, 30000, 60000, 300000, 600000, 900000].find((s) => span / s <= 5) ?? 900000;
  for (let ago = Math.floor(span / step) * step; ago >= 0; ago -= step) {
    const label = ago === 0 ? 'now' : span <= 120000 ? `−${ago / 1000} s` : `−${Math.round(ago / 60000)} min`;
    group.append(svg('text', {
      x: x(now - ago), y: HEIGHT - 6, 'text-anchor': ago === 0 ? 'end' : 'middle',
    }, document.createTextNode(label)));
  }
  return group;
}

/** A small line of one series over the last `window` ms, for tables. */
export function sparkline(times, values, { window = 60000, now = Date.now() } = {}) {
  const width = 120;
  const height = 28;
  const top = niceMax(Math.max(1, ...values.filter((v) => v != null)));
  const points = times.map((t, i) => {
    const px = ((t - (now - window)) / window) * width;
    const py = height - 2 - ((values[i] ?? 0) / top) * (height - 4);
    return `${px.toFixed(1)},${py.toFixed(1)}`;
  });
  return svg('svg', { class: 'spark', viewBox: `0 0 ${width} ${height}`, 'aria-hidden': 'true' },
    svg('polyline', { class: 'series-1', points: points.join(' ') }));
}
