// Reads this node's Prometheus text (GET /metrics) and keeps a few minutes of samples.

/** Samples of the text format: [{name, labels: {k: v}, value}]. */
export function parseProm(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (line === '' || line[0] === '#') continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    if (m[3]) {
      for (const l of m[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    }
    out.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return out;
}

/** The sum of every sample named `name` whose labels include `match`. */
export function total(samples, name, match = {}) {
  let sum = 0;
  let found = false;
  for (const s of samples) {
    if (s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)) {
      sum += s.value;
      found = true;
    }
  }
  return found ? sum : null;
}

/** Cumulative bucket counts of a histogram: [{le, count}] sorted by le (+Inf last). */
export function buckets(samples, name, match = {}) {
  const byLe = new Map();
  for (const s of samples) {
    if (s.name !== name + '_bucket') continue;
    if (!Object.entries(match).every(([k, v]) => s.labels[k] === v)) continue;
    const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
    byLe.set(le, (byLe.get(le) || 0) + s.value);
  }
  return [...byLe.entries()].sort((a, b) => a[0] - b[0]).map(([le, count]) => ({ le, count }));
}

/** The difference of two cumulative bucket lists (now - before), same bucket layout. */
export function delta(now, before) {
  if (!before || before.length !== now.length) return now;
  return now.map((b, k) => ({ le: b.le, count: Math.max(0, b.count - before[k].count) }));
}

/** Like PromQL's histogram_quantile: linear within the bucket; null without observations. */
export function quantile(q, cumulative) {
  if (cumulative.length === 0) return null;
  const n = cumulative[cumulative.length - 1].count;
  if (n === 0) return null;
  const rank = q * n;
  let lowerLe = 0;
  let lowerCount = 0;
  for (const b of cumulative) {
    if (b.count >= rank) {
      if (b.le === Infinity) return lowerLe; // above the last finite bucket: its bound is all we know
      const inBucket = b.count - lowerCount;
      return inBucket === 0 ? b.le : lowerLe + (b.le - lowerLe) * ((rank - lowerCount) / inBucket);
    }
    lowerLe = b.le;
    lowerCount = b.count;
  }
  return lowerLe;
}

/** Points {t (ms), v} kept for `spanMs`. */
export class Series {
  constructor(spanMs) {
    this.spanMs = spanMs;
    this.points = [];
  }

  add(t, v) {
    this.points.push({ t, v });
    while (this.points.length > 0 && this.points[0].t < t - this.spanMs) this.points.shift();
  }

  max() {
    return this.points.reduce((m, p) => (p.v !== null && p.v > m ? p.v : m), 0);
  }
}

const SVG = 'http://www.w3.org/2000/svg';

function el(name, attrs, text) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

/**
 * Draws `series` (each {series, cls}) into `svg` (its viewBox sets the size) over the last spanMs,
 * with a y axis from 0 to a round maximum labelled by `format`.
 */
export function draw(svg, list, nowMs, spanMs, format) {
  const W = svg.viewBox.baseVal.width, H = svg.viewBox.baseVal.height, left = 56, top = 8, bottom = 18;
  const top0 = Math.max(...list.map(s => s.series.max()), 0);
  const yMax = niceCeil(top0);
  svg.replaceChildren();
  for (const f of [0, 0.5, 1]) {
    const y = top + (H - top - bottom) * (1 - f);
    svg.append(el('line', { x1: left, x2: W, y1: y, y2: y, class: 'grid' }));
    svg.append(el('text', { x: left - 6, y: y + 4, class: 'axis', 'text-anchor': 'end' }, format(yMax * f)));
  }
  svg.append(el('text', { x: left, y: H - 4, class: 'axis' }, '−' + Math.round(spanMs / 60000) + ' min'));
  svg.append(el('text', { x: W, y: H - 4, class: 'axis', 'text-anchor': 'end' }, 'now'));
  for (const s of list) {
    const pts = s.series.points.filter(p => p.v !== null).map(p => {
      const x = left + (W - left) * (1 - (nowMs - p.t) / spanMs);
      const y = top + (H - top - bottom) * (1 - (yMax === 0 ? 0 : p.v / yMax));
      return x.toFixed(1) + ',' + y.toFixed(1);
    });
    if (pts.length > 0) svg.append(el('polyline', { points: pts.join(' '), class: 'line ' + s.cls }));
  }
}

function niceCeil(v) {
  if (!(v > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}
