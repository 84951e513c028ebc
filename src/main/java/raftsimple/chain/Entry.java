package raftsimple.chain;

import java.util.Arrays;
import java.util.Objects;

/**
 * A client's entry as its origin node created it: not yet placed in the log.
 *
 * <p>Invariant: {@code txid == Hashing.txid(ts, origin, payload)}; {@link #create} establishes it and
 * {@link #verify} re-checks it for entries that arrive from peers or disk. {@code payload} is the
 * compact JSON text; the array is never mutated after construction. {@code idempotencyKey} is
 * metadata decided with the entry (not hashed: CONTRACT fixes the txid's inputs) and may be null.
 */
public record Entry(Hash txid, String origin, long ts, byte[] payload, String idempotencyKey) {
  public Entry {
    Objects.requireNonNull(txid, "txid");
    Objects.requireNonNull(origin, "origin");
    Objects.requireNonNull(payload, "payload");
  }

  public static Entry create(long ts, String origin, byte[] payload, String idempotencyKey) {
    return new Entry(Hashing.txid(ts, origin, payload), origin, ts, payload, idempotencyKey);
  }

  /** True when the txid matches the content. */
  public boolean verify() {
    return Hashing.txid(ts, origin, payload).equals(txid);
  }

  /** Approximate in-memory and on-wire size, for batch and queue limits. */
  public int sizeBytes() {
    return payload.length + origin.length() + 48 + (idempotencyKey == null ? 0 : idempotencyKey.length());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Entry e
        && e.txid.equals(txid)
        && e.origin.equals(origin)
        && e.ts == ts
        && Arrays.equals(e.payload, payload)
        && Objects.equals(e.idempotencyKey, idempotencyKey);
  }

  @Override
  public int hashCode() {
    return txid.hashCode();
  }

  @Override
  public String toString() {
    return "Entry[" + txid.shortHex() + " from " + origin + "]";
  }
}
