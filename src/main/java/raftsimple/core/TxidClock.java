package raftsimple.core;

import java.util.HashSet;
import java.util.Set;
import raftsimple.chain.Entry;

/**
 * Stamps this node's new entries (seed 12c) so that their txids are unique even when a client sends
 * the same payload twice within one millisecond or the wall clock steps backwards: the timestamp is
 * {@code max(wallMs, last)}, bumped by one when that would repeat a txid already issued at it. Only
 * this node's own clock is used (H8); it need not agree with any other node's.
 */
final class TxidClock {
  private final String nodeId;
  private long lastTs;
  private final Set<raftsimple.chain.Hash> issuedAtLast = new HashSet<>();

  /** {@code floorTs}: the highest timestamp this node may already have used (from its log). */
  TxidClock(String nodeId, long floorTs) {
    this.nodeId = nodeId;
    // Start strictly above anything issued before a restart: the set of txids issued at floorTs
    // was lost with the process.
    this.lastTs = floorTs + 1;
  }

  /**
   * One of this node's own entries reached the log (perhaps one created before a restart, carried
   * by another node): never issue its timestamp again, or a retry of the same payload would get a
   * txid that is already committed.
   */
  void observe(long ts) {
    if (ts >= lastTs) {
      lastTs = ts + 1;
      issuedAtLast.clear();
    }
  }

  /** A fresh entry; {@code committed} tells which txids the log already holds (never reissued). */
  Entry next(long wallMs, byte[] payload, String idempotencyKey,
      java.util.function.Predicate<raftsimple.chain.Hash> committed) {
    long ts = Math.max(wallMs, lastTs);
    if (ts > lastTs) {
      lastTs = ts;
      issuedAtLast.clear();
    }
    Entry e = Entry.create(lastTs, nodeId, payload, idempotencyKey);
    while (!issuedAtLast.add(e.txid()) || committed.test(e.txid())) {
      lastTs++;
      issuedAtLast.clear();
      e = Entry.create(lastTs, nodeId, payload, idempotencyKey);
    }
    return e;
  }
}
