package raftsimple.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.function.Predicate;
import raftsimple.chain.Entry;
import raftsimple.chain.Hash;
import raftsimple.core.msg.DurableRecord;

/**
 * This node's client entries that are not committed yet, in arrival order (the brief's pending
 * queue), and the txid clock that stamps them (docs/PROTOCOL.md §2, §10).
 *
 * <p>The clock's high-water mark is durable ahead of use (rule R1): a {@code ClockRecord(ts + Δ)}
 * reserves timestamps up to {@code ts + Δ}, written when the clock comes within Δ/2 of the
 * reservation, so it rides in the group commit of some earlier write and is almost never on a
 * proposal's path. An entry stamped above the durable reservation must not leave the node before
 * the reservation covering it is durable ({@link #waitSeq}): after a crash the clock restarts
 * above the durable reservation, and a retry of the same payload stamped at an old timestamp
 * would get the txid of an entry that may already be committed elsewhere (simulator, membership
 * seed 208011).
 */
final class ClientQueue {
  /** How far ahead of the clock the durable reservation reaches. */
  static final long RESERVE_AHEAD_MS = 2_000;

  private record Reservation(long upToTs, long seq) {}

  private final LinkedHashMap<Hash, Entry> entries = new LinkedHashMap<>();
  private final TxidClock clock;
  /** The highest reservation issued; reservations not yet durable, oldest first. */
  private long reservedTs;
  private long durableReservedTs;
  private final ArrayDeque<Reservation> undurable = new ArrayDeque<>();

  /** {@code floorTs}: the durable reservation (or the highest own timestamp) found at restart. */
  ClientQueue(String nodeId, long floorTs) {
    this.clock = new TxidClock(nodeId, floorTs);
    this.reservedTs = floorTs;
    this.durableReservedTs = floorTs;
  }

  /**
   * Stamps a new entry (the brief's txid: time, node id, payload) and queues it; a reservation
   * record to persist is returned through {@code persist} (which answers with its number).
   */
  Entry stamp(long wallMs, byte[] payload, String idempotencyKey, Predicate<Hash> committed,
      java.util.function.ToLongFunction<DurableRecord> persist) {
    Entry e = clock.next(wallMs, payload, idempotencyKey, committed);
    if (e.ts() > reservedTs - RESERVE_AHEAD_MS / 2) {
      reservedTs = e.ts() + RESERVE_AHEAD_MS;
      undurable.addLast(new Reservation(reservedTs, persist.applyAsLong(
          new DurableRecord.ClockRecord(reservedTs))));
    }
    entries.put(e.txid(), e);
    return e;
  }

  /** Storage made records up to {@code durableSeq} durable. */
  void persisted(long durableSeq) {
    while (!undurable.isEmpty() && undurable.peekFirst().seq <= durableSeq) {
      durableReservedTs = undurable.pollFirst().upToTs;
    }
  }

  /**
   * The record a message carrying {@code es} must wait for: the first reservation that covers the
   * highest own timestamp among them and is not durable yet (0: none).
   */
  long waitSeq(Collection<Entry> es, String self) {
    long maxTs = Long.MIN_VALUE;
    for (Entry e : es) {
      if (e.origin().equals(self)) {
        maxTs = Math.max(maxTs, e.ts());
      }
    }
    if (maxTs <= durableReservedTs) {
      return 0;
    }
    // Every stamp is below the newest reservation (one is issued whenever the clock nears it).
    for (Reservation r : undurable) {
      if (r.upToTs >= maxTs) {
        return r.seq;
      }
    }
    throw new IllegalStateException("entry stamped above every reservation: " + maxTs);
  }

  /** One of this node's own entries reached the log (maybe carried by another node). */
  void observeOwn(long ts) {
    clock.observe(ts);
  }

  Entry get(Hash txid) {
    return entries.get(txid);
  }

  /** Removes a committed entry; true when it was queued here. */
  boolean remove(Hash txid) {
    return entries.remove(txid) != null;
  }

  int size() {
    return entries.size();
  }

  boolean isEmpty() {
    return entries.isEmpty();
  }

  /** The queued entries in arrival order (a live view: do not change it while iterating). */
  Collection<Entry> entries() {
    return entries.values();
  }

  /** True when a membership change of this node's waits to commit (one at a time per node). */
  boolean holdsSystemEntry() {
    for (Entry q : entries.values()) {
      if (SystemEntries.isSystem(q.payload())) {
        return true;
      }
    }
    return false;
  }

  /** Empties the queue; returns the txids dropped (their outcome is unknown to this node). */
  List<Hash> drop() {
    List<Hash> out = new ArrayList<>(entries.keySet());
    entries.clear();
    return out;
  }
}
