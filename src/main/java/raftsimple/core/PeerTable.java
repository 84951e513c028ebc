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
    String best = null;
    long bestLength = -1;
    for (Map.Entry<String, Position> e : peers.entrySet()) {
      if (e.getValue().length > bestLength) {
        best = e.getKey();
        bestLength = e.getValue().length;
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
