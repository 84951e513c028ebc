package raftsimple.core.msg;

import java.util.List;
import java.util.Objects;
import raftsimple.chain.Entry;
import raftsimple.chain.Hash;
import raftsimple.chain.Hashing;

/**
 * A batch of entries proposed as the next value after one head (docs/PROTOCOL.md §3). {@code id} is
 * the hash of the proposer and the txids ({@link Hashing#valueId}): one proposer's equal batches
 * have equal ids, two proposers' never do (with forwarding two nodes can propose the same entries,
 * and a round-0 vote must name one proposal). {@code proposer} is the node that voted for it first: the round-0 proposer, or the
 * coordinator that merged several proposals. The list is never mutated.
 */
public record Proposal(Hash id, String proposer, List<Entry> entries) {
  public Proposal {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(proposer, "proposer");
    entries = List.copyOf(entries);
    if (entries.isEmpty()) {
      throw new IllegalArgumentException("a proposal carries at least one entry");
    }
  }

  public static Proposal of(String proposer, List<Entry> entries) {
    return new Proposal(Hashing.valueId(proposer, entries), proposer, entries);
  }

  /** True when the id matches the entries and every entry's txid matches its content. */
  public boolean verify() {
    if (!Hashing.valueId(proposer, entries).equals(id)) {
      return false;
    }
    for (Entry e : entries) {
      if (!e.verify()) {
        return false;
      }
    }
    return true;
  }

  public int sizeBytes() {
    int n = 64;
    for (Entry e : entries) {
      n += e.sizeBytes();
    }
    return n;
  }

  @Override
  public String toString() {
    return "P" + id.shortHex() + "/" + proposer + "x" + entries.size();
  }
}
