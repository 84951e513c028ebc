// Re-verifies committed entries in the browser, exactly as docs/PROTOCOL.md §2 defines them:
//   txid = SHA-256( ascii(ts) 0x0A utf8(origin) 0x0A payload-bytes )
//   hash = SHA-256( raw32(prev) || raw32(txid) ),   prev of entry 1 = 64 zeros
// and checks that each entry's prev is the hash of the entry before it.
// The payload must be hashed byte for byte as the node printed it, so it is cut out of the event's
// JSON text (rawMembers) instead of being re-serialized from a parsed object.

const encoder = new TextEncoder();
export const ZERO = '0'.repeat(64);

/** True when WebCrypto is available (a secure context: https, or http on localhost/127.0.0.1). */
export function cryptoAvailable() {
  return typeof crypto !== 'undefined' && crypto.subtle !== undefined;
}

/**
 * The raw JSON text of each top-level member of the object in `text`, by name, e.g.
 * rawMembers('{"a":1.10,"b":{"c":[1]}}') -> {a: '1.10', b: '{"c":[1]}'}.
 */
export function rawMembers(text) {
  const out = {};
  let i = skipWs(text, 0);
  if (text[i] !== '{') throw new Error('not a JSON object');
  i = skipWs(text, i + 1);
  if (text[i] === '}') return out;
  for (;;) {
    if (text[i] !== '"') throw new Error('expected a member name at ' + i);
    const nameEnd = skipString(text, i);
    const name = JSON.parse(text.slice(i, nameEnd));
    i = skipWs(text, nameEnd);
    if (text[i] !== ':') throw new Error('expected ":" at ' + i);
    i = skipWs(text, i + 1);
    const valueEnd = skipValue(text, i);
    out[name] = text.slice(i, valueEnd);
    i = skipWs(text, valueEnd);
    if (text[i] === ',') { i = skipWs(text, i + 1); continue; }
    if (text[i] === '}') return out;
    throw new Error('expected "," or "}" at ' + i);
  }
}

function skipWs(t, i) {
  while (i < t.length && (t[i] === ' ' || t[i] === '\t' || t[i] === '\n' || t[i] === '\r')) i++;
  return i;
}

function skipString(t, i) { // t[i] is the opening quote; returns the index after the closing one
  for (let j = i + 1; j < t.length; j++) {
    if (t[j] === '\\') { j++; continue; }
    if (t[j] === '"') return j + 1;
  }
  throw new Error('unterminated string');
}

function skipValue(t, i) {
  const c = t[i];
  if (c === '"') return skipString(t, i);
  if (c === '{' || c === '[') {
    let depth = 0;
    for (let j = i; j < t.length; j++) {
      const d = t[j];
      if (d === '"') { j = skipString(t, j) - 1; continue; }
      if (d === '{' || d === '[') depth++;
      else if (d === '}' || d === ']') { depth--; if (depth === 0) return j + 1; }
    }
    throw new Error('unterminated ' + c);
  }
  let j = i;
  while (j < t.length && !',}] \t\n\r'.includes(t[j])) j++;
  if (j === i) throw new Error('expected a value at ' + i);
  return j;
}

function hexToBytes(hex) {
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error('not 64 lower-case hex characters: ' + hex);
  const out = new Uint8Array(32);
  for (let k = 0; k < 32; k++) out[k] = parseInt(hex.substr(2 * k, 2), 16);
  return out;
}

function bytesToHex(bytes) {
  return Array.from(bytes, b => b.toString(16).padStart(2, '0')).join('');
}

function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

async function sha256Hex(bytes) {
  return bytesToHex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)));
}

/** One /log or /watch entry from its JSON text: the parsed entry and the raw payload and ts. */
export function parseEntry(json) {
  const raw = rawMembers(json);
  const entry = JSON.parse(json);
  if (raw.payload === undefined || raw.ts === undefined) throw new Error('not a log entry');
  return { entry, payloadText: raw.payload, tsText: raw.ts };
}

/** Recomputes txid and hash; resolves to {txid, hash} as hex. */
export async function recompute(parsed) {
  const { entry, payloadText, tsText } = parsed;
  const nl = new Uint8Array([10]);
  const txid = await sha256Hex(concat([encoder.encode(tsText), nl, encoder.encode(entry.origin), nl,
    encoder.encode(payloadText)]));
  const hash = await sha256Hex(concat([hexToBytes(entry.prev), hexToBytes(txid)]));
  return { txid, hash };
}

/**
 * Follows a stream of entries in index order and says of each whether it is intact: its txid and
 * hash recompute, and its prev is the hash of the entry before (when that one was seen here).
 */
export class ChainChecker {
  constructor() {
    this.first = null;   // index of the first entry checked
    this.last = null;    // {index, hash} of the last entry checked
    this.verified = 0;
    this.broken = null;  // {index, reason} of the first broken entry
    this.gaps = 0;
  }

  /** Resolves to {ok, linked, reason}. Call in stream order, one at a time. */
  async check(parsed) {
    const e = parsed.entry;
    const got = await recompute(parsed);
    let reason = null;
    let linked = false;
    if (got.txid !== e.txid) {
      reason = 'txid does not match ts, origin and payload (recomputed ' + got.txid.slice(0, 12) + '…)';
    } else if (got.hash !== e.hash) {
      reason = 'hash is not SHA-256(prev || txid) (recomputed ' + got.hash.slice(0, 12) + '…)';
    } else if (e.index === 1 && e.prev !== ZERO) {
      reason = 'entry 1 must follow the genesis hash (64 zeros)';
    } else if (this.last !== null && e.index <= this.last.index) {
      reason = 'entry ' + e.index + ' arrived again, after entry ' + this.last.index;
    } else if (this.last !== null && e.index === this.last.index + 1) {
      if (e.prev !== this.last.hash) {
        reason = 'prev is not the hash of entry ' + this.last.index;
      } else {
        linked = true;
      }
    } else if (this.last !== null) {
      this.gaps++;
    }
    const ok = reason === null;
    if (ok) {
      this.verified++;
      if (this.first === null) this.first = e.index;
      this.last = { index: e.index, hash: e.hash };
    } else if (this.broken === null) {
      this.broken = { index: e.index, reason };
    }
    return { ok, linked, reason };
  }
}
