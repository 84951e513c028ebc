package raftsimple.log;

import java.util.TreeMap;
import raftsimple.bus.BusApi;
import raftsimple.chain.LogEntry;

/**
 * Entries that are duplicates of earlier ones (docs/PROTOCOL.md §10): a retry with the same
 * idempotency key and body that reached the log although the first attempt had already committed
 * (the first attempt's origin was cut off, so another node stamped the retry). The state machine
 * layer decides it when it applies the entry, from the replicated idempotency table: it does not
 * apply the entry and answers with the original outcome, whose index is the original entry's. That
 * is deterministic, so every node marks the same entries; {@code GET /log} shows the mark as
 * {@code "duplicateOf": <index of the original>}.
 *
 * <p>Learned from every applied outcome, including those re-applied after a restart, so every entry
 * this node serves (all of them applied here, since the log starts at the snapshot it restored) has
 * its mark. Entries below the log's first index are no longer served and their marks are dropped.
 * Confined to the log verticle's event loop.
 */
final class Duplicates {
  /** index of a duplicate → index of the entry it repeats. */
  private final TreeMap<Long, Long> originals = new TreeMap<>();

  /** Notes {@code entry}'s applied {@code outcome}: a duplicate's outcome is another entry's. */
  void applied(LogEntry entry, BusApi.Outcome outcome) {
    if (outcome.index() != entry.index() && outcome.index() < entry.index()) {
      originals.put(entry.index(), outcome.index());
    }
  }

  /** The index of the entry that {@code index} repeats, or null when it is no duplicate. */
  Long originalOf(long index) {
    return originals.get(index);
  }

  /** Forgets the marks of entries before {@code firstIndex} (compacted away). */
  void dropBefore(long firstIndex) {
    originals.headMap(firstIndex).clear();
  }

  int size() {
    return originals.size();
  }
}
