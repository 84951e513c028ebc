package raftsimple.core.msg;

import java.util.Objects;

/**
 * A recovery ballot {@code (round, node)}, ordered by round then node id (docs/PROTOCOL.md §5).
 * Round 0 is the seed's first round and is never written as a ballot; recovery uses rounds ≥ 1,
 * and the node id makes two coordinators' ballots distinct.
 */
public record Ballot(long round, String node) implements Comparable<Ballot> {
  public Ballot {
    Objects.requireNonNull(node, "node");
    if (round < 1) {
      throw new IllegalArgumentException("recovery ballots start at round 1, got " + round);
    }
  }

  @Override
  public int compareTo(Ballot o) {
    int c = Long.compare(round, o.round);
    return c != 0 ? c : node.compareTo(o.node);
  }

  public boolean greaterThan(Ballot o) {
    return o == null || compareTo(o) > 0;
  }

  public boolean atLeast(Ballot o) {
    return o == null || compareTo(o) >= 0;
  }

  @Override
  public String toString() {
    return "(" + round + "," + node + ")";
  }
}
