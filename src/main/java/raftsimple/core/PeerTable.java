package raftsimple.core;

import java.util.Map;
import java.util.TreeMap;
import raftsimple.chain.Hash;

/**
 * The last position each peer reported and when this node last heard from it (monotonic ms). Used
 * to notice that this node is behind (H6), to pick whom to catch up from, and for
 * {@code GET /cluster}.
 */
public final class PeerTable {
  public record Position(long length, Hash head, long heardAtMs) {}

  private final Map<String, Position> peers = new TreeMap<>();

  void heard(String peer, long length, Hash head, long nowMs) {
    // The latest report wins even when it is shorter: a delayed message or a peer that lost its
    // unsynced tail; the next heartbeat corrects either.
    peers.put(peer, new Position(length, head, nowMs));
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
