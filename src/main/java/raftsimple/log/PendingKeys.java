package raftsimple.log;

import java.util.HashMap;
import java.util.Map;
import raftsimple.chain.Hash;

/**
 * The idempotency keys of this node's own entries while they are in flight (docs/PROTOCOL.md §10):
 * from the submit that stamps the entry until the entry's outcome is applied here, or this node
 * drops it from its queue. It lives as long as the entry, not as long as the client's request, so
 * a retry that comes after the first attempt was answered 503 (timeout) attaches to the entry still
 * pending instead of stamping a second one that would commit too.
 *
 * <p>Once an entry's outcome is applied the replicated idempotency table answers for its key (the
 * state machine applied it before the log verticle hears of the outcome), which is why a key is
 * released only then: a retry that finds no key here finds it in the table. A key released because
 * the entry was dropped has an unknown fate; a retry then stamps a new entry, and should both
 * commit the second is recorded as a duplicate and not applied (§10, {@link Duplicates}).
 *
 * <p>Confined to the log verticle's event loop. Bounded by the core's queue ({@code
 * pendingEntriesMax}): every key belongs to an entry stamped and not yet committed or dropped.
 */
final class PendingKeys {
  /** A key's entry: the SHA-256 of its payload, the submit's ref, the txid once assigned. */
  record Pending(String key, Hash bodyHash, long ref, Hash txid) {}

  private final Map<String, Pending> byKey = new HashMap<>();
  private final Map<Long, String> keyByRef = new HashMap<>();
  private final Map<Hash, String> keyByTxid = new HashMap<>();

  /** The entry in flight with {@code key}, or null. */
  Pending get(String key) {
    return byKey.get(key);
  }

  /** Submit {@code ref} with {@code key} goes to the core. */
  void submitted(long ref, String key, Hash bodyHash) {
    Pending old = byKey.put(key, new Pending(key, bodyHash, ref, null));
    if (old != null) {
      throw new IllegalStateException("idempotency key " + key + " is already in flight (ref "
          + old.ref() + "): attach to it instead");
    }
    keyByRef.put(ref, key);
  }

  /** The core stamped submit {@code ref} as entry {@code txid}. */
  void assigned(long ref, Hash txid) {
    String key = keyByRef.remove(ref);
    if (key != null) {
      Pending p = byKey.get(key);
      byKey.put(key, new Pending(key, p.bodyHash(), ref, txid));
      keyByTxid.put(txid, key);
    }
  }

  /** The core refused submit {@code ref}: nothing is in flight. */
  void refused(long ref) {
    String key = keyByRef.remove(ref);
    if (key != null) {
      byKey.remove(key);
    }
  }

  /** Entry {@code txid}'s outcome was applied, or this node dropped it: its key is free here. */
  void released(Hash txid) {
    String key = keyByTxid.remove(txid);
    if (key != null) {
      byKey.remove(key);
    }
  }

  int size() {
    return byKey.size();
  }
}
