package raftsimple.chain;

import java.util.Objects;

/**
 * A committed entry at its place in the chain: {@code hash == Hashing.chain(prev, entry.txid())},
 * {@code index} is 1-based, and {@code prev} is the hash of entry {@code index - 1} ({@link Hash#ZERO}
 * for index 1).
 */
public record LogEntry(long index, Hash prev, Hash hash, Entry entry) {
  public LogEntry {
    Objects.requireNonNull(prev, "prev");
    Objects.requireNonNull(hash, "hash");
    Objects.requireNonNull(entry, "entry");
    if (index < 1) {
      throw new IllegalArgumentException("log index starts at 1, got " + index);
    }
  }

  /** Places {@code entry} after {@code prev} at {@code index}, computing its chained hash. */
  public static LogEntry chain(long index, Hash prev, Entry entry) {
    return new LogEntry(index, prev, Hashing.chain(prev, entry.txid()), entry);
  }

  public Hash txid() {
    return entry.txid();
  }
}
