package raftsimple.transport;

import io.vertx.core.Vertx;
import java.lang.System.Logger.Level;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import raftsimple.bus.Addresses;
import raftsimple.bus.BusApi.PeerReachability;
import raftsimple.bus.BusApi.PeerReachability.Reason;

/**
 * Turns a transport's observations of its peers (a connection opened, failed, closed, a ping went
 * unanswered) into edges on {@link Addresses#PEER_REACHABILITY} (docs/TRANSPORTS.md §1.5): one event
 * when a peer's state changes, nothing while it stays the same, however many retries fail.
 *
 * <p>Debounce: after an edge, the opposite edge for the same peer is published no sooner than
 * {@link #HOLD_MS} later; an observation inside that window is held and published when the window
 * ends if it still holds (the newest observation wins). So a flapping peer costs at most one event
 * per {@value #HOLD_MS} ms, and a peer that fails and recovers within the window costs none. The
 * first observation of a peer (state unknown before) is always an edge.
 *
 * <p>While a peer stays down, a change of cause (say, "connection refused" becoming "TLS handshake
 * failed") is logged once, not published: the log verticle only needs edges, an operator needs the
 * real reason. Confined to the transport's event loop.
 */
public final class Reachability {
  private static final System.Logger LOG = System.getLogger(Reachability.class.getName());
  /** Minimum spacing of two edges for one peer. */
  public static final long HOLD_MS = 100;

  private final Vertx vertx;
  private final String transport;
  // Concurrent only because meters read reported() from the scrape thread; written on the loop.
  private final Map<String, PeerState> peers = new ConcurrentHashMap<>();
  private volatile long published;

  private static final class PeerState {
    volatile Boolean reported; // null: nothing published yet
    long lastEdgeNanos;
    PeerReachability held; // an observation waiting for the hold window to end
    long timer = -1;
    Reason loggedReason;
  }

  public Reachability(Vertx vertx, String transport) {
    this.vertx = vertx;
    this.transport = transport;
  }

  /** The peer is reachable, as far as the transport can tell. */
  public void up(String peer, Reason reason, String detail) {
    observe(new PeerReachability(peer, true, reason, detail, transport));
  }

  /** The peer is not reachable: {@code reason} and the error text in {@code detail}. */
  public void down(String peer, Reason reason, String detail) {
    observe(new PeerReachability(peer, false, reason, detail, transport));
  }

  /** The state last published for {@code peer}: true, false, or null when none was. */
  public Boolean reported(String peer) {
    PeerState s = peers.get(peer);
    return s == null ? null : s.reported;
  }

  /** True while an observation for {@code peer} waits for the hold window to end (for tests). */
  boolean holding(String peer) {
    PeerState s = peers.get(peer);
    return s != null && s.held != null;
  }

  /** Edges published so far (for tests and metrics). */
  public long published() {
    return published;
  }

  /** Stops tracking {@code peer} (it left the membership); cancels a held edge. */
  public void forget(String peer) {
    PeerState s = peers.remove(peer);
    if (s != null && s.timer >= 0) {
      vertx.cancelTimer(s.timer);
    }
  }

  private void observe(PeerReachability r) {
    PeerState s = peers.computeIfAbsent(r.peerId(), p -> new PeerState());
    if (s.reported != null && s.reported == r.reachable()) {
      s.held = null; // the opposite observation that was held no longer holds
      logChangedCause(s, r);
      return;
    }
    long sinceEdgeMs = (System.nanoTime() - s.lastEdgeNanos) / 1_000_000;
    if (s.reported == null || sinceEdgeMs >= HOLD_MS) {
      publish(s, r);
      return;
    }
    s.held = r;
    if (s.timer < 0) {
      s.timer = vertx.setTimer(Math.max(1, HOLD_MS - sinceEdgeMs), id -> {
        s.timer = -1;
        PeerReachability held = s.held;
        s.held = null;
        if (held != null && peers.get(held.peerId()) == s && s.reported != held.reachable()) {
          publish(s, held);
        }
      });
    }
  }

  private void publish(PeerState s, PeerReachability r) {
    boolean first = s.reported == null;
    s.reported = r.reachable();
    s.lastEdgeNanos = System.nanoTime();
    s.loggedReason = r.reason();
    published++;
    if (r.reachable()) {
      LOG.log(Level.INFO, "peer {0} {1} ({2}, {3})", r.peerId(),
          first ? "reachable" : "reachable again", transport, r.reason());
    } else {
      LOG.log(Level.WARNING, "peer {0} unreachable ({1}, {2}): {3}", r.peerId(), transport,
          r.reason(), r.detail());
    }
    vertx.eventBus().publish(Addresses.PEER_REACHABILITY, r, Addresses.LOCAL);
  }

  private static void logChangedCause(PeerState s, PeerReachability r) {
    if (!r.reachable() && r.reason() != s.loggedReason) {
      s.loggedReason = r.reason();
      LOG.log(Level.WARNING, "peer {0} still unreachable, now {1}: {2}", r.peerId(), r.reason(),
          r.detail());
    }
  }
}
