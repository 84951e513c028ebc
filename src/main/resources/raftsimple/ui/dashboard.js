// The raftsimple dashboard: polls GET /cluster and GET /metrics of the node that serves it, follows
// GET /watch with an EventSource, re-verifies each entry's hashes (chain.js), and submits entries.
// Only this origin is ever contacted (the server's Content-Security-Policy enforces it).
import { ChainChecker, cryptoAvailable, parseEntry } from './chain.js';
import { Series, buckets, delta, draw, parseProm, quantile, total } from './metrics.js';

const CLUSTER_MS = 1000;
const METRICS_MS = 2000;
const SPAN_MS = 5 * 60 * 1000;
const ENTRIES_SHOWN = 50;
const FIRST_ENTRIES = 25;

const $ = id => document.getElementById(id);
const short = h => (typeof h === 'string' ? h.slice(0, 12) : '–');

// ---- members (GET /cluster) ----

let selfLength = null;

async function pollCluster() {
  try {
    const r = await fetch('/cluster', { cache: 'no-store' });
    if (!r.ok) throw new Error('GET /cluster answered ' + r.status);
    renderCluster(await r.json());
    document.body.dataset.node = 'up';
  } catch (e) {
    document.body.dataset.node = 'down';
    $('members-note').textContent = 'This node does not answer (' + e.message + '); retrying.';
  } finally {
    setTimeout(pollCluster, CLUSTER_MS);
  }
}

function renderCluster(c) {
  $('node-id').textContent = c.nodeId;
  const longest = Math.max(0, ...c.members.filter(m => typeof m.length === 'number').map(m => m.length));
  const rows = c.members.map(m => {
    const tr = document.createElement('tr');
    tr.dataset.member = m.id;
    tr.dataset.reachable = String(m.reachable === true);
    if (m.self) tr.classList.add('self');
    const reach = m.reachable === true ? 'reachable'
      : 'unreachable' + (typeof m.lastHeardMsAgo === 'number' ? ' · heard ' + ago(m.lastHeardMsAgo) : '');
    const lag = typeof m.length === 'number' ? longest - m.length : null;
    tr.append(
      cell(m.id + (m.self ? ' (this node)' : ''), 'id', m.url),
      cell(m.role, 'role role-' + m.role),
      badge(reach, m.reachable === true ? 'ok' : 'bad'),
      cell(typeof m.length === 'number' ? m.length.toLocaleString() : '–', 'num'),
      cell(lag === null ? '–' : lag.toLocaleString(), 'num' + (lag > 0 ? ' lagging' : '')),
      cell(short(m.head), 'hash', m.head || ''));
    if (m.self) {
      selfLength = m.length;
      $('node-length').textContent = m.length.toLocaleString();
      $('node-head').textContent = short(m.head);
      $('node-head').title = m.head;
    }
    return tr;
  });
  $('members').tBodies[0].replaceChildren(...rows);
  $('members-note').textContent = 'As ' + c.nodeId + ' sees them (GET /cluster, every second). '
    + 'Lag: entries behind the longest log. An unreachable member shows what was last heard of it.';
  if (!watching) startWatch();
}

function cell(text, cls, title) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  if (title) td.title = title;
  return td;
}

function badge(text, state) {
  const td = document.createElement('td');
  const span = document.createElement('span');
  span.className = 'badge ' + state;
  span.textContent = text;
  td.append(span);
  return td;
}

function ago(ms) {
  return ms < 1000 ? ms + ' ms ago' : ms < 120000 ? Math.round(ms / 1000) + ' s ago' : Math.round(ms / 60000) + ' min ago';
}

// ---- commits per second and latency (GET /metrics) ----

const rate = new Series(SPAN_MS);
const p50 = new Series(SPAN_MS);
const p99 = new Series(SPAN_MS);
let previous = null;
let firstSample = null;

async function pollMetrics() {
  try {
    const r = await fetch('/metrics', { cache: 'no-store' });
    if (!r.ok) throw new Error('GET /metrics answered ' + r.status);
    sample(parseProm(await r.text()), Date.now());
  } catch (e) {
    previous = null; // a gap, not a rate spike, when the node comes back
  } finally {
    setTimeout(pollMetrics, METRICS_MS);
  }
}

function sample(samples, now) {
  const committed = total(samples, 'raftsimple_entries_committed_total');
  const latency = buckets(samples, 'raftsimple_client_request_latency_seconds', { route: '/entries' });
  if (previous !== null && committed !== null && previous.committed !== null) {
    const seconds = (now - previous.t) / 1000;
    const perSecond = Math.max(0, committed - previous.committed) / seconds;
    const d = delta(latency, previous.latency);
    const q50 = quantile(0.5, d);
    const q99 = quantile(0.99, d);
    rate.add(now, perSecond);
    p50.add(now, q50);
    p99.add(now, q99);
    $('rate-now').textContent = perSecond.toFixed(perSecond < 10 ? 1 : 0);
    $('lat-p50').textContent = q50 === null ? '–' : ms(q50);
    $('lat-p99').textContent = q99 === null ? '–' : ms(q99);
  }
  previous = { t: now, committed, latency };
  if (firstSample === null) firstSample = now;
  // The x axis grows with the page's age, a minute at a time, up to the five minutes kept.
  const minutes = Math.min(SPAN_MS / 60000, Math.max(1, Math.ceil((now - firstSample) / 60000)));
  for (const el of document.querySelectorAll('.rates .span')) {
    el.textContent = minutes === 1 ? 'minute' : minutes + ' minutes';
  }
  const span = minutes * 60000;
  draw($('chart-rate'), [{ series: rate, cls: 'rate' }], now, span, v => String(Math.round(v * 10) / 10));
  draw($('chart-latency'), [{ series: p50, cls: 'p50' }, { series: p99, cls: 'p99' }], now, span, ms);
}

function ms(seconds) {
  const v = seconds * 1000;
  return (v === 0 ? '0' : v < 10 ? v.toFixed(1) : Math.round(v).toString()) + ' ms';
}

// ---- latest entries (GET /watch), each re-verified ----

const checker = new ChainChecker();
let watching = false;
let lastIndex = null;
let queue = Promise.resolve();

function startWatch() {
  watching = true;
  const from = lastIndex !== null ? lastIndex + 1 : Math.max(1, (selfLength || 0) - FIRST_ENTRIES + 1);
  const es = new EventSource('/watch?from=' + from);
  streamState('connecting', 'connecting');
  es.onopen = () => streamState('live', 'live');
  es.onmessage = ev => ingest(ev.data);
  es.addEventListener('error', ev => {
    if (ev.data) { // the node's own final event: {"code","error"}
      let why = ev.data;
      try { why = JSON.parse(ev.data).error; } catch (ignored) { /* show as is */ }
      streamState('reconnecting', 'reconnecting: ' + why);
      return;
    }
    if (es.readyState === EventSource.CLOSED) { // refused (e.g. 410 or 503): start over shortly
      streamState('down', 'disconnected; retrying');
      setTimeout(() => { watching = false; }, 2000);
    } else {
      streamState('reconnecting', 'reconnecting');
    }
  });
}

function streamState(state, text) {
  const el = $('stream-state');
  el.dataset.state = state;
  el.textContent = text;
}

/** Verifies and shows one entry (the JSON of a /watch event); entries are handled in order. */
function ingest(json) {
  queue = queue.then(() => show(json)).catch(e => console.error('entry not shown', e));
  return queue;
}

async function show(json) {
  let parsed;
  try {
    parsed = parseEntry(json);
  } catch (e) {
    setChain('broken', 'an event is not a log entry: ' + e.message);
    return;
  }
  const e = parsed.entry;
  let verdict = { ok: null, reason: 'WebCrypto is not available here (needs https or localhost)' };
  if (cryptoAvailable()) verdict = await checker.check(parsed);
  lastIndex = Math.max(lastIndex || 0, e.index);
  const li = document.createElement('li');
  li.value = e.index;
  li.dataset.index = e.index;
  li.dataset.txid = e.txid;
  li.dataset.verified = verdict.ok === null ? 'unchecked' : verdict.ok ? 'ok' : 'bad';
  li.append(
    span('mark', verdict.ok === null ? '?' : verdict.ok ? '✓' : '✗', verdict.reason || 'txid and hash recomputed'
      + (verdict.linked ? '; prev is the hash of the entry before' : '')),
    span('index', '#' + e.index),
    span('hash', short(e.txid), 'txid ' + e.txid + '\nhash ' + e.hash + '\nprev ' + e.prev),
    span('origin', e.origin),
    span('time', new Date(e.ts).toLocaleTimeString(), new Date(e.ts).toISOString()),
    span('payload', clip(parsed.payloadText, 160), parsed.payloadText));
  const list = $('entries');
  list.prepend(li);
  while (list.children.length > ENTRIES_SHOWN) list.lastElementChild.remove();
  renderChain(verdict);
}

function span(cls, text, title) {
  const s = document.createElement('span');
  s.className = cls;
  s.textContent = text;
  if (title) s.title = title;
  return s;
}

function clip(text, n) {
  return text.length > n ? text.slice(0, n - 1) + '…' : text;
}

function renderChain(verdict) {
  if (verdict.ok === null) {
    setChain('unchecked', verdict.reason);
  } else if (checker.broken !== null) {
    setChain('broken', 'Chain broken at entry #' + checker.broken.index + ': ' + checker.broken.reason);
  } else {
    setChain('intact', 'Chain intact: ' + checker.verified.toLocaleString() + ' entries (#'
      + checker.first + '–#' + checker.last.index + ') re-hashed in this browser, each linked to the one before'
      + (checker.gaps > 0 ? ' (' + checker.gaps + ' gap(s) across reconnects)' : '') + '.');
  }
}

function setChain(state, text) {
  const el = $('chain-status');
  el.dataset.state = state;
  el.textContent = text;
}

// ---- submit (POST /entries) ----

function setUpSubmit() {
  $('submit-form').addEventListener('submit', async ev => {
    ev.preventDefault();
    const out = $('submit-result');
    const text = $('payload').value.trim();
    try {
      JSON.parse(text);
    } catch (e) {
      out.dataset.state = 'bad';
      out.textContent = 'Not JSON: ' + e.message;
      return;
    }
    const headers = { 'Content-Type': 'application/json' };
    const key = $('idem').value.trim();
    if (key !== '') headers['Idempotency-Key'] = key;
    $('submit-button').disabled = true;
    out.dataset.state = 'pending';
    out.textContent = 'waiting for the cluster to commit it…';
    try {
      const r = await fetch('/entries', { method: 'POST', headers, body: text });
      const body = await r.text();
      let shown = body;
      try { shown = JSON.stringify(JSON.parse(body), null, 2); } catch (ignored) { /* not JSON */ }
      out.dataset.state = r.status === 201 ? 'ok' : 'bad';
      out.dataset.status = String(r.status);
      out.textContent = 'HTTP ' + r.status + '\n' + shown;
    } catch (e) {
      out.dataset.state = 'bad';
      out.textContent = 'The node did not answer: ' + e.message;
    } finally {
      $('submit-button').disabled = false;
    }
  });
}

// For checking an entry by hand from the browser console: raftsimple.ingest('<entry JSON from /log>').
window.raftsimple = { ingest };

setUpSubmit();
pollCluster();
pollMetrics();
setInterval(() => { if (!watching && selfLength !== null) startWatch(); }, 1000);
