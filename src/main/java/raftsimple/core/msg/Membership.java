package raftsimple.core.msg;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A cluster configuration: every member with its URL and role, as defined by the committed log up
 * to some head (docs/PROTOCOL.md §11, H7). Immutable. {@code version} is the log index of the
 * membership entry that produced it (0: the initial configuration every founding member lists).
 *
 * <p>The voters of an instance are the voters of the configuration at its head; every node that
 * reaches that head computes the same configuration from the same log, so the quorum of each
 * instance is well defined. Changes apply one at a time: a change names the version it was made
 * against and is refused, as a committed no-op, if another change came first.
 */
public final class Membership {
  public enum Role {
    /** Votes and may propose. */
    VOTER,
    /** Joining as a voter: replicates but does not count until promoted (H7, "learner"). */
    LEARNER,
    /** Replicates and serves reads; never votes (seed 7). */
    READ_ONLY
  }

  public record Member(String id, String url, Role role) {
    public Member {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(url, "url");
      Objects.requireNonNull(role, "role");
    }
  }

  /** A requested change; {@code base} is the version it was made against. */
  public record Change(Op op, String id, String url, Role role, long base) {
    public enum Op {
      ADD,
      PROMOTE,
      DEMOTE,
      REMOVE
    }
  }

  /** The outcome of applying a change: the new configuration, or the reason it is refused. */
  public record Result(Membership membership, String refusal) {
    public boolean ok() {
      return refusal == null;
    }
  }

  private final long version;
  private final Map<String, Member> members;
  private final List<String> voters;

  public Membership(long version, Iterable<Member> members) {
    this.version = version;
    TreeMap<String, Member> m = new TreeMap<>();
    for (Member x : members) {
      m.put(x.id(), x);
    }
    this.members = Collections.unmodifiableMap(m);
    List<String> v = new ArrayList<>();
    for (Member x : m.values()) {
      if (x.role() == Role.VOTER) {
        v.add(x.id());
      }
    }
    this.voters = List.copyOf(v);
  }

  public long version() {
    return version;
  }

  /** Voter ids, sorted. */
  public List<String> voters() {
    return voters;
  }

  /** Every member, by id. */
  public Map<String, Member> members() {
    return members;
  }

  public Member get(String id) {
    return members.get(id);
  }

  public boolean isVoter(String id) {
    Member m = members.get(id);
    return m != null && m.role() == Role.VOTER;
  }

  /** Every member except {@code self}, sorted. */
  public List<String> others(String self) {
    List<String> out = new ArrayList<>();
    for (String id : members.keySet()) {
      if (!id.equals(self)) {
        out.add(id);
      }
    }
    return out;
  }

  /** Checks {@code c} against this configuration without applying it (the ingress pre-check). */
  public String refusal(Change c) {
    if (c.base() != version) {
      return "the membership changed meanwhile (version " + version + ", change made against "
          + c.base() + "); retry";
    }
    Member m = members.get(c.id());
    switch (c.op()) {
      case ADD:
        if (m != null) {
          return "node " + c.id() + " is already a member (" + m.role() + ")";
        }
        return c.role() == Role.VOTER ? "a new member joins as a learner or read-only" : null;
      case PROMOTE:
        return m == null ? "node " + c.id() + " is not a member"
            : m.role() == Role.VOTER ? "node " + c.id() + " is already a voter" : null;
      case DEMOTE:
        if (m == null || m.role() != Role.VOTER) {
          return "node " + c.id() + " is not a voter";
        }
        return voters.size() == 1 ? "the last voter cannot be demoted" : null;
      case REMOVE:
        if (m == null) {
          return "node " + c.id() + " is not a member";
        }
        return m.role() == Role.VOTER && voters.size() == 1 ? "the last voter cannot be removed" : null;
      default:
        return "unknown change";
    }
  }

  /** Applies {@code c}, made by the entry at log index {@code index}, or says why not. */
  public Result apply(Change c, long index) {
    String refusal = refusal(c);
    if (refusal != null) {
      return new Result(this, refusal);
    }
    TreeMap<String, Member> next = new TreeMap<>(members);
    Member m = members.get(c.id());
    switch (c.op()) {
      case ADD -> next.put(c.id(), new Member(c.id(), c.url(), c.role()));
      case PROMOTE -> next.put(c.id(), new Member(m.id(), m.url(), Role.VOTER));
      case DEMOTE -> next.put(c.id(), new Member(m.id(), m.url(), Role.READ_ONLY));
      case REMOVE -> next.remove(c.id());
      default -> throw new IllegalStateException("unreachable");
    }
    return new Result(new Membership(index, next.values()), null);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Membership m && m.version == version && m.members.equals(members);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(version) * 31 + members.hashCode();
  }

  @Override
  public String toString() {
    return "Membership[v" + version + " " + members.values() + "]";
  }
}
