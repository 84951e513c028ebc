package raftsimple.sim;

import java.util.function.Function;
import raftsimple.core.msg.Effects;

/**
 * Snapshot transfers between simulated shells (what log/Snapshots does with SnapshotRead and
 * SnapshotData): when a core asks for a peer's snapshot, the request travels to the peer, the peer
 * serves its newest durable snapshot if it is still the one asked for, and the file travels back;
 * then the requester's shell installs it ({@link SimNode#install}). Either leg can be lost or cut;
 * the peer may be down or have replaced that snapshot by a newer one. A failed transfer is noticed
 * when the peer says so, or after the real shell's chunk timeout; the core asks again later.
 */
final class SnapshotTransfers {
  /** log/Snapshots.CHUNK_TIMEOUT_MS: a transfer that stalls is given up after this long. */
  static final long CHUNK_TIMEOUT_MS = 10_000;

  private final EventQueue events;
  private final SimNetwork network;
  private final Function<String, SimNode> nodes;
  private final Trace trace;
  long started;
  long failed;

  SnapshotTransfers(EventQueue events, SimNetwork network, Function<String, SimNode> nodes,
      Trace trace) {
    this.events = events;
    this.network = network;
    this.nodes = nodes;
    this.trace = trace;
  }

  void fetch(SimNode to, Effects.SnapshotFetch f) {
    if (to.transferring) {
      return; // one transfer at a time, as log/Snapshots.fetch
    }
    to.transferring = true;
    started++;
    int inc = to.incarnation;
    trace.add(events.nowMs(), to.id, "snap-fetch", "from " + f.peer() + " L" + f.length());
    SimNode from = nodes.apply(f.peer());
    long ask = from == null ? -1 : network.transferLegMs(to.id, from.id);
    if (ask < 0) {
      fail(to, inc, CHUNK_TIMEOUT_MS, "request lost");
      return;
    }
    events.after(ask, () -> {
      SimSnapshot s = from.serve(f.length());
      long back = network.transferLegMs(from.id, to.id);
      if (back < 0) {
        fail(to, inc, CHUNK_TIMEOUT_MS - ask, "reply lost");
      } else if (s == null) {
        fail(to, inc, back, from.id + " no longer has it");
      } else {
        events.after(back, () -> {
          if (inc == to.incarnation && to.up()) {
            trace.add(events.nowMs(), to.id, "snap-recv", s + " from " + from.id);
            to.install(s);
          }
        });
      }
    });
  }

  private void fail(SimNode to, int inc, long afterMs, String why) {
    failed++;
    events.after(Math.max(0, afterMs), () -> {
      if (inc == to.incarnation) {
        to.transferring = false;
        trace.add(events.nowMs(), to.id, "snap-fail", why);
      }
    });
  }
}
