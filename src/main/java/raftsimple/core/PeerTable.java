package raftsimple.core;

import java.util.Map;
import java.util.TreeMap;
import raftsimple.chain.Hash;

/**
 * The last position each peer reported and when this node last heard from it (monotonic ms), and
 * which peers the transport reported down (docs/PROTOCOL.md §15). Used to notice that this node is
 * behind (H6), to pick whom to catch up from, to pick the proposer of an instance and the
 * coordinator of a recovery, and for {@code GET /cluster}. Liveness is only ever a hint: nothing
 * safe depends on it.
 */
public final class PeerTable {
  public record Position(long length, Hash head, long heardAtMs) {}

  private final Map<String, Position> peers = new TreeMap<>();
  /**
   * The longest log each peer said it holds durably ({@code Status} reports, docs §11): the only
   * positions a membership change's confirmation may count.
   */
  private final Map<String, Long> durable = new TreeMap<>();
  /** Peers the transport reported down, with when; cleared by PeerUp or by hearing from them. */
  private final Map<String, Long> down = new TreeMap<>();

  void heard(String peer, long length, Hash head, long nowMs) {
    // The latest report wins even when it is shorter: a delayed message or a peer that lost its
    // unsynced tail; the next heartbeat corrects either.
    peers.put(peer, new Position(length, head, nowMs));
    down.remove(peer);
  }

  /** {@code peer} reported that it holds {@code length} entries durably (the latest report wins). */
  void reportedDurable(String peer, long length) {
    durable.put(peer, length);
  }

  /** The length {@code peer} last reported holding durably, or -1 when it never did. */
  long durableLength(String peer) {
    return durable.getOrDefault(peer, -1L);
  }

  /** The transport lost {@code peer}; true when it was not already down. */
  boolean markDown(String peer, long nowMs) {
    return down.putIfAbsent(peer, nowMs) == null;
  }

  void markUp(String peer) {
    down.remove(peer);
  }

  boolean isDown(String peer) {
    return down.containsKey(peer);
  }

  /**
   * True when {@code peer} was heard from within {@code windowMs} and is not reported down: it can
   * take part now. A peer never heard from is not live.
   */
  boolean isLive(String peer, long nowMs, long windowMs) {
    Position p = peers.get(peer);
    return p != null && !down.containsKey(peer) && nowMs - p.heardAtMs <= windowMs;
  }

  Position get(String peer) {
    return peers.get(peer);
  }

  /** The peer with the longest reported log, or null; ties go to the lowest id. */
  String furthest() {
    return furthest(Long.MIN_VALUE);
  }

  /**
   * The peer with the longest log among those heard from at or after {@code heardSinceMs}, or, if
   * none was, among all; null when none is known; ties go to the lowest id. A report never expires,
   * and a peer that has gone for good (crashed and not restarted, removed and stopped) keeps its
   * last, often longest, report: fetching from the furthest peer ever heard would retry it forever
   * while live peers that are ahead go unasked (simulator, membership swarm seeds 512 and 945: ~700
   * fetches to a stopped node, none to the live one).
   */
  String furthest(long heardSinceMs) {
    String best = null;
    long bestLength = -1;
    boolean bestFresh = false;
    for (Map.Entry<String, Position> e : peers.entrySet()) {
      Position p = e.getValue();
      boolean fresh = p.heardAtMs >= heardSinceMs;
      if ((fresh && !bestFresh) || (fresh == bestFresh && p.length > bestLength)) {
        best = e.getKey();
        bestLength = p.length;
        bestFresh = fresh;
      }
    }
    return best;
  }

  long furthestLength() {
    String p = furthest();
    return p == null ? -1 : peers.get(p).length;
  }

  Map<String, Position> all() {
    return new TreeMap<>(peers);
  }
}
