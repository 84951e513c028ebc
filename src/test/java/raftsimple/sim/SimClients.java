package raftsimple.sim;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import raftsimple.chain.Hash;
import raftsimple.chain.LogEntry;
import raftsimple.core.msg.ClientEvent;
import raftsimple.core.msg.Input;

/**
 * Clients and the shell's client bookkeeping. Each client keeps up to {@code pipelineMax} requests
 * outstanding, thinks for a random time between requests, and sends each to a random node. A submit
 * is <em>acknowledged</em> when the node it went to releases a {@code committed} effect containing
 * its txid while the client still waits (after durability, by the shell rule). A request that is not
 * acknowledged within {@code clientTimeoutMs}, or whose node crashes or refuses it, is retried as a
 * NEW submit of the same payload (a new entry with a new txid, as the real ingress does without an
 * idempotency key). Some requests are linearizable read barriers instead of submits.
 *
 * <p>In liveness mode clients stop issuing and retrying and wait patiently: every request still
 * waiting must then be acknowledged, except that an outcome may become <em>unknown</em>: the node
 * dropped its queue after installing a snapshot ({@code QueueDropped}), or the node is no longer a
 * member (the real ingress answers 503 after its request timeout; the entry is polled by txid).
 */
final class SimClients {
  /** What the simulation does for the clients: step a node, and tell the checkers. */
  interface Host {
    void step(SimNode node, Input in);

    Checkers checkers();

    /** The wall clock of {@code node} now (H8: skewed, sometimes stepping back). */
    long wallMs(SimNode node);
  }

  private static final class Request {
    final int client;
    final String payload;
    int tries;

    Request(int client, String payload) {
      this.client = client;
      this.payload = payload;
    }
  }

  private static final class Attempt {
    final long ref;
    final Request request;
    final SimNode node;
    final int incarnation;
    final boolean read;
    final long ackedAtStart;
    Hash txid;
    boolean done;
    /** When the client sent it (simulated ms), for the latency measurements. */
    long sentMs;

    Attempt(long ref, Request request, SimNode node, boolean read, long ackedAtStart) {
      this.ref = ref;
      this.request = request;
      this.node = node;
      this.incarnation = node.incarnation;
      this.read = read;
      this.ackedAtStart = ackedAtStart;
    }
  }

  private final SplittableRandom random;
  private final SwarmOptions options;
  private final EventQueue events;
  private final List<SimNode> nodes;
  private final Host host;
  private final Map<Long, Attempt> attempts = new TreeMap<>();
  /** Per node: txid → the attempt waiting for it (only the node's current incarnation). */
  private final List<Map<Hash, Attempt>> waiting = new ArrayList<>();
  /** Requests whose outcome became unknown (dropped queue, node no longer a member). */
  long unknown;
  private final int[] outstanding;
  private final int[] sequence;
  private long nextRef = 1;
  private boolean liveness;
  long submits;
  long acks;
  long reads;

  SimClients(SplittableRandom random, SwarmOptions options, EventQueue events, List<SimNode> nodes,
      Host host) {
    this.random = random;
    this.options = options;
    this.events = events;
    this.nodes = nodes;
    this.host = host;
    for (int i = 0; i < options.idCount(); i++) {
      waiting.add(new HashMap<>());
    }
    outstanding = new int[options.clients];
    sequence = new int[options.clients];
  }

  void start() {
    for (int c = 0; c < options.clients; c++) {
      int client = c;
      events.after(think(), () -> act(client));
    }
  }

  void livenessMode() {
    liveness = true;
  }

  private long think() {
    // Exponential think time with the option's mean, capped to keep runs bounded.
    double u = random.nextDouble();
    return Math.min(20 * options.thinkMeanMs, (long) (-Math.log(1 - u) * options.thinkMeanMs));
  }

  private void act(int client) {
    if (liveness) {
      return;
    }
    while (outstanding[client] < options.pipelineMax && random.nextInt(3) != 0) {
      outstanding[client]++;
      if (random.nextDouble() < options.readRate) {
        read(client);
      } else {
        String payload = "{\"c\":" + client + ",\"n\":" + (++sequence[client]) + "}";
        submit(new Request(client, payload));
      }
    }
    events.after(1 + think(), () -> act(client));
  }

  /** A node for the next request: any, or (clientsAvoidDown) any that is up. */
  private SimNode pick() {
    if (options.clientsOnFirstNodeOnly) {
      return nodes.get(0);
    }
    SimNode node = nodes.get(random.nextInt(nodes.size()));
    if (options.clientsAvoidDown && !node.up()) {
      for (SimNode n : nodes) {
        if (n.up()) {
          return n;
        }
      }
    }
    return node;
  }

  private void submit(Request r) {
    SimNode node = pick();
    r.tries++;
    if (!node.up()) {
      retryLater(r);
      return;
    }
    Attempt a = new Attempt(nextRef++, r, node, false, 0);
    a.sentMs = events.nowMs();
    attempts.put(a.ref, a);
    submits++;
    host.checkers().submitted(node.id, r.payload);
    long wall = host.wallMs(node);
    host.step(node, new Input.Submit(a.ref, wall, r.payload.getBytes(StandardCharsets.UTF_8), null));
    events.after(options.clientTimeoutMs, () -> timeout(a));
  }

  private void read(int client) {
    SimNode node = pick();
    if (!node.up()) {
      outstanding[client]--;
      return;
    }
    Attempt a = new Attempt(nextRef++, new Request(client, null), node, true,
        host.checkers().maxAckedIndex());
    attempts.put(a.ref, a);
    reads++;
    host.step(node, new Input.ReadBarrier(a.ref));
  }

  private void timeout(Attempt a) {
    if (a.done || liveness) {
      return;
    }
    fail(a);
  }

  /** The attempt will not be acknowledged: give up on it and maybe submit again. */
  private void fail(Attempt a) {
    a.done = true;
    attempts.remove(a.ref);
    if (a.txid != null && a.incarnation == a.node.incarnation) {
      waiting.get(a.node.index).remove(a.txid);
    }
    if (a.read) {
      outstanding[a.request.client]--;
    } else {
      retryLater(a.request);
    }
  }

  private void retryLater(Request r) {
    if (r.tries > options.retriesMax || liveness) {
      outstanding[r.client]--;
      return;
    }
    events.after(1 + random.nextLong(Math.max(1, options.headTimeoutMs)), () -> {
      if (liveness) {
        outstanding[r.client]--;
      } else {
        submit(r);
      }
    });
  }

  /** The node crashed: its clients' connections broke. */
  void crashed(SimNode node) {
    waiting.get(node.index).clear();
    List<Attempt> broken = new ArrayList<>();
    for (Attempt a : attempts.values()) {
      if (a.node == node && !a.done) {
        broken.add(a);
      }
    }
    for (Attempt a : broken) {
      fail(a);
    }
  }

  void onClientEvent(SimNode node, ClientEvent e) {
    if (e instanceof ClientEvent.Assigned as) {
      Attempt a = attempts.get(as.ref());
      if (a != null && !a.done) {
        a.txid = as.txid();
        waiting.get(node.index).put(as.txid(), a);
      }
    } else if (e instanceof ClientEvent.Refused r) {
      Attempt a = attempts.get(r.ref());
      if (a != null && !a.done) {
        fail(a);
      }
    } else if (e instanceof ClientEvent.ReadReady rr) {
      Attempt a = attempts.remove(rr.ref());
      if (a != null) {
        host.checkers().readReady(node, rr.length(), a.ackedAtStart);
        a.done = true;
        outstanding[a.request.client]--;
      }
    } else if (e instanceof ClientEvent.ReadFailed rf) {
      Attempt a = attempts.get(rf.ref());
      if (a != null) {
        fail(a);
      }
    } else if (e instanceof ClientEvent.QueueDropped d) {
      for (Hash txid : d.txids()) {
        Attempt a = waiting.get(node.index).get(txid);
        if (a != null && !a.done) {
          unknown++;
          fail(a);
        }
      }
    }
  }

  /**
   * Liveness phase: requests waiting at {@code node}, which is not a member any more, will never be
   * answered by it; their outcome is unknown (the real ingress times them out with 503).
   */
  void abandonAt(SimNode node) {
    for (Attempt a : new ArrayList<>(attempts.values())) {
      if (a.node == node && !a.done) {
        unknown++;
        fail(a);
      }
    }
  }

  void onCommitted(SimNode node, List<LogEntry> entries) {
    Map<Hash, Attempt> w = waiting.get(node.index);
    if (w.isEmpty()) {
      return;
    }
    for (LogEntry e : entries) {
      Attempt a = w.remove(e.txid());
      if (a != null) {
        a.done = true;
        attempts.remove(a.ref);
        acks++;
        latenciesMs.add(events.nowMs() - a.sentMs);
        outstanding[a.request.client]--;
        host.checkers().acknowledged(node, e);
      }
    }
  }

  /** Submit-to-acknowledgement time of every acknowledged write (simulated ms), in order. */
  final java.util.List<Long> latenciesMs = new java.util.ArrayList<>();

  /** Requests still waiting for an answer (liveness: must reach zero). */
  int waitingCount() {
    int n = 0;
    for (Attempt a : attempts.values()) {
      if (!a.done) {
        n++;
      }
    }
    return n;
  }

  String waitingSummary() {
    StringBuilder b = new StringBuilder();
    int shown = 0;
    for (Attempt a : attempts.values()) {
      if (!a.done && shown++ < 10) {
        b.append(" ref=").append(a.ref).append('@').append(a.node.id)
            .append(a.read ? "(read)" : a.txid == null ? "(unassigned)" : "(" + a.txid.shortHex() + ")");
      }
    }
    return b.toString();
  }
}
