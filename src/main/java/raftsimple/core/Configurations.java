package raftsimple.core;

import raftsimple.core.msg.Membership;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import raftsimple.chain.LogEntry;

/**
 * The cluster configuration at this node's head and the ones before it that the retained log still
 * needs (docs/PROTOCOL.md §11, H7): who votes on the current instance, and which configuration
 * was in effect at any retained length (a snapshot records the one at its length).
 *
 * <p>Invariant: {@code history} maps the log length from which each configuration applies to it,
 * oldest first; its last value is {@link #current}.
 */
final class Configurations {
  /** What applying one committed entry did to the configuration. */
  record Applied(Membership before, Membership after, Membership.Result result) {
    boolean changed() {
      return result.ok();
    }
  }

  private Membership current;
  private final TreeMap<Long, Membership> history = new TreeMap<>();

  Configurations(Membership start) {
    this.current = start;
    history.put(start.version(), start);
  }

  /** The configuration after every membership entry of {@code log}, starting from {@code m}. */
  static Membership replay(Membership m, CommittedLog log) {
    for (long i = log.firstIndex(); i <= log.length(); i++) {
      Membership.Result r = SystemEntries.applyTo(m, log.get(i));
      if (r != null) {
        m = r.membership();
      }
    }
    return m;
  }

  Membership current() {
    return current;
  }

  /** The configuration in effect after the first {@code length} entries. */
  Membership at(long length) {
    Map.Entry<Long, Membership> e = history.floorEntry(length);
    return e == null ? history.firstEntry().getValue() : e.getValue();
  }

  /**
   * Applies the committed entry {@code e} (H7: from the next instance on, the new voters decide);
   * null when it is not a membership change or is covered by the configuration already (a joiner
   * starts from the configuration it was given, made by an entry it has not fetched yet; applied
   * again each such entry would be refused as stale and reported as a refused change — simulator,
   * membership swarm seed 4).
   */
  Applied apply(LogEntry e) {
    if (e.index() <= current.version()) {
      return null;
    }
    Membership.Result r = SystemEntries.applyTo(current, e);
    if (r == null) {
      return null;
    }
    Membership before = current;
    if (r.ok()) {
      current = r.membership();
      history.put(current.version(), current);
    }
    return new Applied(before, current, r);
  }

  /** After a snapshot moved the log's base to {@code baseLength}: forget what it no longer needs. */
  void compactTo(long baseLength) {
    Long base = history.floorKey(baseLength);
    if (base != null) {
      history.headMap(base, false).clear();
    }
  }

  /**
   * The log now starts at a snapshot made under {@code snapshotConfig}. A joiner given a newer
   * configuration than the snapshot's (which may not even list it) keeps its own, as a restart
   * would (DurableState keeps the newer ConfigRecord): taking the snapshot's left the joiner
   * ignoring every current member as unknown (simulator, membership swarm seed 4290). Returns
   * false when it kept its own.
   */
  boolean installed(Membership snapshotConfig) {
    boolean take = snapshotConfig.version() >= current.version();
    if (take) {
      current = snapshotConfig;
    }
    history.clear();
    history.put(current.version(), current);
    return take;
  }

  /** The members that {@code applied} removed. */
  static List<String> removed(Applied applied, String self) {
    List<String> out = new ArrayList<>();
    for (String id : applied.before().others(self)) {
      if (applied.after().get(id) == null) {
        out.add(id);
      }
    }
    return out;
  }
}
