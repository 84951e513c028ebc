package raftsimple.sim;

import java.util.List;
import java.util.SplittableRandom;
import raftsimple.core.msg.Input;

/**
 * What the transports tell each node about its peers (docs/PROTOCOL.md §15), as the simulator sees
 * it: a crashed or cut-off peer is reported down, a restarted or healed one up, each report late by
 * up to {@code detectMaxMs}; and now and then a live peer is reported down for a while although
 * nothing is wrong (a slow link, a GC pause). The core must treat reports as hints: a report may be
 * late, wrong, or contradicted by a message that arrives after it.
 */
final class SimFailureDetector {
  interface Host {
    List<SimNode> nodes();

    SimNode node(String id);

    void step(SimNode n, Input in);

    void trace(String node, String kind, String detail);
  }

  private final SplittableRandom random;
  private final SwarmOptions options;
  private final EventQueue events;
  private final SimNetwork network;
  private final Host host;
  /** {@code linked[i][j]} as last reported to i about j. */
  private final boolean[][] linked;
  long reports;

  SimFailureDetector(SplittableRandom random, SwarmOptions options, EventQueue events,
      SimNetwork network, Host host) {
    this.random = random;
    this.options = options;
    this.events = events;
    this.network = network;
    this.host = host;
    int n = options.idCount();
    this.linked = new boolean[n][n];
    for (boolean[] row : linked) {
      java.util.Arrays.fill(row, true);
    }
  }

  /** {@code n} crashed: every other node hears so, late. */
  void crashed(SimNode n) {
    for (SimNode other : host.nodes()) {
      if (other != n) {
        report(other, n.id, false, "crash");
      }
    }
  }

  /** {@code n} started again: the others reach it again (and it reaches them). */
  void started(SimNode n) {
    for (SimNode other : host.nodes()) {
      if (other != n && network.linked(other.index, n.index)) {
        report(other, n.id, true, "restart");
      }
    }
  }

  /** The partition changed: report every link that went down or came back. */
  void repartitioned() {
    for (SimNode a : host.nodes()) {
      for (SimNode b : host.nodes()) {
        if (a != b) {
          boolean now = network.linked(a.index, b.index);
          if (now != linked[a.index][b.index]) {
            linked[a.index][b.index] = now;
            report(a, b.id, now && b.up(), now ? "healed" : "cut");
          }
        }
      }
    }
  }

  /** A false suspicion: a random node hears that a random live peer is down, then up again. */
  void suspectSomeone() {
    List<SimNode> ns = host.nodes();
    SimNode a = ns.get(random.nextInt(ns.size()));
    SimNode b = ns.get(random.nextInt(ns.size()));
    if (a == b || !a.up() || !b.up()) {
      return;
    }
    report(a, b.id, false, "false suspicion");
    long back = 1 + random.nextLong(Math.max(1, 4 * options.detectMaxMs) + 1);
    events.after(back, () -> report(a, b.id, true, "suspicion cleared"));
  }

  private void report(SimNode to, String peer, boolean up, String why) {
    if (!options.peerEvents) {
      return;
    }
    long delay = random.nextLong(options.detectMaxMs + 1);
    int incarnation = to.incarnation;
    events.after(delay, () -> {
      if (to.up() && to.incarnation == incarnation) {
        reports++;
        host.step(to, up ? new Input.PeerUp(peer) : new Input.PeerDown(peer, why));
      }
    });
  }
}
