package raftsimple.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import raftsimple.bus.Addresses;
import raftsimple.bus.BusApi;
import raftsimple.bus.LocalCodec;
import raftsimple.chain.Hash;
import raftsimple.core.msg.Message;

/**
 * What every peer transport must do (docs/TRANSPORTS.md §1), run against each
 * transport by a near-empty subclass that names its {@link TransportFixture} (Ratis style). The
 * cluster starts once per class: n1..n3 running, n4 configured but down. The test plays the log
 * verticles: it sends {@code ReadQuery} messages on {@code PEER_OUT} (their {@code readRound} tags
 * them) and records what arrives on each node's {@code PEER_IN}. No sleeps: every wait is for an
 * arrival, bounded by the test timeout.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
public abstract class TransportContractTest {
  /** One message that reached a node's PEER_IN. */
  record Arrival(String node, Message message) {}

  /** One reachability event a node's transport published: {@code at} is the publishing node. */
  record Edge(String at, BusApi.PeerReachability event) {}

  /**
   * How long a stopped or restarted peer may take to be reported: a liveness bound (the test fails
   * if no event comes at all), generous for a loaded machine; not a performance claim.
   */
  static final long DETECTION_MS_MAX = 20_000;
  /** What a transport's outbox holds for one peer at most (both transports), and one batch. */
  static final int QUEUE_MAX = 10_000;
  static final int BATCH_MAX = 256;

  private TransportFixture fixture;
  private final Map<String, Context> contexts = new java.util.concurrent.ConcurrentHashMap<>();
  private final List<Arrival> arrivals = new CopyOnWriteArrayList<>();
  private final List<Edge> edges = new CopyOnWriteArrayList<>();
  private volatile Runnable onArrival = () -> {};
  private final AtomicLong rounds = new AtomicLong(1);

  protected abstract TransportFixture newFixture();

  /** The running fixture, for a subclass's transport-specific tests. */
  protected TransportFixture fixture() {
    return fixture;
  }

  @BeforeAll
  void startCluster(@TempDir Path dir) throws Exception {
    fixture = newFixture();
    fixture.start(dir);
    for (String n : TransportFixture.RUNNING) {
      listen(n);
    }
    warmUp().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    arrivals.clear();
  }

  /** Plays {@code n}'s log verticle: records its PEER_IN arrivals and reachability events. */
  private void listen(String n) throws Exception {
    Vertx v = fixture.vertx(n);
    LocalCodec.registerAll(v.eventBus());
    contexts.put(n, v.getOrCreateContext());
    Future.all(
        v.eventBus().<Message>localConsumer(Addresses.PEER_IN, m -> {
          arrivals.add(new Arrival(n, m.body()));
          onArrival.run();
        }).completion(),
        v.eventBus().<BusApi.PeerReachability>localConsumer(Addresses.PEER_REACHABILITY, m -> {
          edges.add(new Edge(n, m.body()));
          onArrival.run();
        }).completion())
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @AfterAll
  void stopCluster() throws Exception {
    if (fixture != null) {
      fixture.close();
    }
  }

  @AfterEach
  void forgetWaiter() {
    onArrival = () -> {};
  }

  // ------------------------------------------------------------------ the contract

  @Test
  void aMessageOnPeerOut_arrivesOnTheAddresseesPeerIn_only(VertxTestContext tc) {
    long r = rounds.getAndIncrement();
    long fence = rounds.getAndIncrement();
    // The fence leaves n1 for n2 and n3 after r: once both have it, r cannot be still in flight.
    send("n1", probe("n1", "n2", r), probe("n1", "n2", fence), probe("n1", "n3", fence));
    send("n2", probe("n2", "n1", r));
    until(() -> seen("n2", fence) && seen("n3", fence) && seen("n1", r))
        .onComplete(tc.succeeding(v -> tc.verify(() -> {
          assertEquals(List.of("n1", "n2"), nodesThatSaw(r), "r arrives at its addressees only");
          Message atN2 = received("n2", r).get(0);
          assertEquals(probe("n1", "n2", r), atN2, "the message arrives intact");
          tc.completeNow();
        })));
  }

  @Test
  void manyMessages_keepTheirOrderPerPeer(VertxTestContext tc) {
    int n = 3_000; // enough for the outboxes to batch: the later ones queue while one batch flies
    long base = reserve(n);
    List<Message> out = new ArrayList<>(2 * n);
    for (int i = 0; i < n; i++) {
      out.add(probe("n1", "n2", base + i));
      out.add(probe("n1", "n3", base + i));
    }
    send("n1", out.toArray(new Message[0]));
    until(() -> count("n2", base, n) == n && count("n3", base, n) == n)
        .onComplete(tc.succeeding(v -> tc.verify(() -> {
          assertEquals(ascending(base, n), roundsAt("n2", base, n));
          assertEquals(ascending(base, n), roundsAt("n3", base, n));
          tc.completeNow();
        })));
  }

  @Test
  void malformedOrForeignEnvelopes_areRefused_andTheNextOneIsTaken(VertxTestContext tc) {
    long stranger = rounds.getAndIncrement();
    long good = rounds.getAndIncrement();
    Buffer notJson = Buffer.buffer("{\"v\":1,\"from\":", StandardCharsets.UTF_8.name());
    Buffer unknownSender = envelope("n9", probe("n9", "n2", stranger));
    Buffer futureVersion = Buffer.buffer(envelope("n1", probe("n1", "n2", stranger)).toString()
        .replace("\"v\":" + raftsimple.transport.WireCodec.VERSION, "\"v\":99"), StandardCharsets.UTF_8.name());
    mustFail(fixture.injectAsMember("n2", notJson), "not JSON")
        .compose(v -> mustFail(fixture.injectAsMember("n2", unknownSender), "unknown sender"))
        .compose(v -> mustFail(fixture.injectAsMember("n2", futureVersion), "unknown version"))
        .compose(v -> fixture.injectAsMember("n2", envelope("n1", probe("n1", "n2", good))))
        .compose(v -> until(() -> seen("n2", good)))
        .onComplete(tc.succeeding(v -> tc.verify(() -> {
          assertEquals(List.of(), nodesThatSaw(stranger), "a refused envelope delivers nothing");
          tc.completeNow();
        })));
  }

  @Test
  void aSenderWithoutAClusterCertificate_isRefused(VertxTestContext tc) {
    long injected = rounds.getAndIncrement();
    long fence = rounds.getAndIncrement();
    mustFail(fixture.injectAsStranger("n2", envelope("n1", probe("n1", "n2", injected))), "stranger")
        .compose(v -> {
          send("n1", probe("n1", "n2", fence));
          return until(() -> seen("n2", fence));
        })
        .onComplete(tc.succeeding(v -> tc.verify(() -> {
          assertEquals(List.of(), nodesThatSaw(injected), "the stranger's message never arrives");
          tc.completeNow();
        })));
  }

  @Test
  void aDownPeer_doesNotHoldUpTheOthers(VertxTestContext tc) {
    int n = 200;
    long base = reserve(n);
    List<Message> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < 20; k++) {
        out.add(probe("n1", TransportFixture.DOWN, base + i)); // 4,000 for the dead peer
      }
      out.add(probe("n1", "n2", base + i));
    }
    send("n1", out.toArray(new Message[0]));
    until(() -> count("n2", base, n) == n).onComplete(tc.succeeding(v -> tc.verify(() -> {
      assertEquals(ascending(base, n), roundsAt("n2", base, n));
      tc.completeNow();
    })));
  }

  /**
   * A queue for a dead peer holds at most {@value #QUEUE_MAX} messages however many are sent: the
   * oldest are dropped and counted (docs/TRANSPORTS.md §1.4), so a dead peer costs bounded memory.
   */
  @Test
  void aDeadPeersQueue_isBounded_dropsTheOldest_andCountsThem(VertxTestContext tc) {
    int n = 3 * QUEUE_MAX;
    long base = reserve(n);
    long fence = rounds.getAndIncrement();
    double droppedBefore = counter("n1", "raftsimple_peer_messages_dropped", TransportFixture.DOWN);
    List<Message> out = new ArrayList<>(n + 1);
    for (int i = 0; i < n; i++) {
      out.add(probe("n1", TransportFixture.DOWN, base + i));
    }
    out.add(probe("n1", "n2", fence)); // after n1's transport took all of the above
    send("n1", out.toArray(new Message[0]));
    until(() -> seen("n2", fence)).onComplete(tc.succeeding(v -> tc.verify(() -> {
      double queued = gauge("n1", "raftsimple_peer_outbox_messages", TransportFixture.DOWN);
      double dropped = counter("n1", "raftsimple_peer_messages_dropped", TransportFixture.DOWN)
          - droppedBefore;
      assertTrue(queued <= QUEUE_MAX, "queued for the dead peer: " + queued);
      // What is neither queued nor dropped left in batches (the event bus's fail fast and back
      // off); at most a couple can go during the one turn that queued the n messages, after the
      // burst's first message, which leaves alone when the outbox was idle (not backing off).
      assertTrue(dropped >= n - QUEUE_MAX - 2 * BATCH_MAX - 1 && dropped <= n,
          "dropped " + dropped + " of " + n);
      tc.completeNow();
    })));
  }

  /**
   * A peer that stops (its process gone: server, transport and cluster member closed) is reported
   * unreachable by both others, and reachable again once it runs again; then its link carries
   * messages again, in order. This is the transport's part of issue 10: failure as an input.
   */
  @Test
  @Timeout(value = 120, timeUnit = TimeUnit.SECONDS)
  void aPeerThatStopsAndRestarts_isReportedDownThenUp_andCarriesMessagesInOrderAgain()
      throws Exception {
    String victim = "n3";
    int mark = edges.size();
    contexts.remove(victim);
    fixture.stop(victim);
    await(within(DETECTION_MS_MAX, "n1 and n2 report " + victim + " down",
        () -> edgeSince(mark, "n1", victim, false) && edgeSince(mark, "n2", victim, false)));
    int restartMark = edges.size();
    fixture.restart(victim);
    listen(victim);
    await(within(DETECTION_MS_MAX, "n1 and n2 report " + victim + " up again",
        () -> edgeSince(restartMark, "n1", victim, true) && edgeSince(restartMark, "n2", victim, true)));
    // Edges only: one down and one up, however many reconnects failed in between.
    assertEquals(List.of(false, true), edgesAbout("n1", victim, mark), "n1's events: " + edges);
    assertEquals(List.of(false, true), edgesAbout("n2", victim, mark), "n2's events: " + edges);

    // The link works again: a probe until one gets through (the first may meet a link that is
    // still reconnecting), then 500 in one turn, all in order.
    long hello = rounds.getAndIncrement();
    await(resendUntil(() -> seen(victim, hello), () -> send("n1", probe("n1", victim, hello))));
    int n = 500;
    long base = reserve(n);
    List<Message> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(probe("n1", victim, base + i));
    }
    send("n1", out.toArray(new Message[0]));
    await(within(DETECTION_MS_MAX, "500 probes reach " + victim, () -> count(victim, base, n) == n));
    assertEquals(ascending(base, n), roundsAt(victim, base, n));
    // And the restarted node's own link to n1 works (the other tests rely on it).
    long back = rounds.getAndIncrement();
    await(resendUntil(() -> seen("n1", back), () -> send(victim, probe(victim, "n1", back))));
  }

  // ------------------------------------------------------------------ helpers

  private boolean edgeSince(int mark, String at, String peer, boolean reachable) {
    return edges.subList(mark, edges.size()).stream().anyMatch(e -> e.at().equals(at)
        && e.event().peerId().equals(peer) && e.event().reachable() == reachable);
  }

  /** The reachable flags {@code at} published about {@code peer} since {@code mark}, in order. */
  private List<Boolean> edgesAbout(String at, String peer, int mark) {
    return edges.subList(mark, edges.size()).stream()
        .filter(e -> e.at().equals(at) && e.event().peerId().equals(peer))
        .map(e -> e.event().reachable()).toList();
  }

  private double gauge(String node, String name, String peer) {
    var g = fixture.registry(node).find(name).tag("peer", peer).gauge();
    return g == null ? Double.NaN : g.value();
  }

  private double counter(String node, String name, String peer) {
    var c = fixture.registry(node).find(name).tag("peer", peer).functionCounter();
    return c == null ? Double.NaN : c.count();
  }

  /** As {@link #until}, failing with {@code what} if the condition does not hold within {@code ms}. */
  private Future<Void> within(long ms, String what, BooleanSupplier condition) {
    Vertx timers = fixture.vertx("n1");
    Promise<Void> done = Promise.promise();
    long timer = timers.setTimer(ms, t -> done.tryFail(new AssertionError("not within " + ms
        + " ms: " + what + "; events so far: " + edges)));
    // Edges and arrivals re-check it; a periodic check covers conditions nothing else triggers.
    long poll = timers.setPeriodic(50, t -> {
      if (condition.getAsBoolean()) {
        done.tryComplete();
      }
    });
    until(condition).onComplete(ar -> done.tryComplete());
    return done.future().andThen(ar -> {
      timers.cancelTimer(timer);
      timers.cancelTimer(poll);
    });
  }

  /** Runs {@code action} now and every 100 ms until {@code condition} holds (within the bound). */
  private Future<Void> resendUntil(BooleanSupplier condition, Runnable action) {
    Vertx timers = fixture.vertx("n1");
    long timer = timers.setPeriodic(0, 100, t -> action.run());
    return within(DETECTION_MS_MAX, "a probe gets through", condition)
        .andThen(ar -> timers.cancelTimer(timer));
  }

  private static <T> T await(Future<T> f) throws Exception {
    try {
      return f.toCompletionStage().toCompletableFuture().get(DETECTION_MS_MAX + 5_000, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof AssertionError a) {
        throw a;
      }
      throw e;
    }
  }

  static Message probe(String from, String to, long round) {
    return new Message.ReadQuery(from, to, 0, Hash.ZERO, round);
  }

  static Buffer envelope(String from, Message... messages) {
    return Buffer.buffer(WireCodec.encode(from, List.of(messages)));
  }

  private long reserve(int n) {
    return rounds.getAndAdd(n);
  }

  /** Sends on {@code from}'s PEER_OUT in one event-loop turn, as the log verticle does. */
  private void send(String from, Message... messages) {
    EventBus bus = fixture.vertx(from).eventBus();
    contexts.get(from).runOnContext(v -> {
      for (Message m : messages) {
        bus.send(Addresses.PEER_OUT, m);
      }
    });
  }

  /** Completes once {@code condition} holds; re-checked on every arrival. */
  private Future<Void> until(BooleanSupplier condition) {
    Promise<Void> done = Promise.promise();
    onArrival = () -> {
      if (condition.getAsBoolean()) {
        done.tryComplete();
      }
    };
    onArrival.run();
    return done.future();
  }

  private static Future<Void> mustFail(Future<Void> f, String what) {
    return f.transform(ar -> ar.failed() ? Future.succeededFuture()
        : Future.failedFuture(new AssertionError(what + ": the transport took it")));
  }

  private static long roundOf(Message m) {
    return ((Message.ReadQuery) m).readRound();
  }

  private boolean seen(String node, long round) {
    return !received(node, round).isEmpty();
  }

  private List<Message> received(String node, long round) {
    return arrivals.stream().filter(a -> a.node().equals(node) && roundOf(a.message()) == round)
        .map(Arrival::message).toList();
  }

  private List<String> nodesThatSaw(long round) {
    Set<String> nodes = arrivals.stream().filter(a -> roundOf(a.message()) == round)
        .map(Arrival::node).collect(Collectors.toCollection(TreeSet::new));
    return List.copyOf(nodes);
  }

  private List<Long> roundsAt(String node, long base, int n) {
    return arrivals.stream().filter(a -> a.node().equals(node))
        .map(a -> roundOf(a.message())).filter(r -> r >= base && r < base + n).toList();
  }

  private long count(String node, long base, int n) {
    return roundsAt(node, base, n).size();
  }

  private static List<Long> ascending(long base, int n) {
    List<Long> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(base + i);
    }
    return out;
  }

  /**
   * Until every running node has heard from every other: probes are re-sent every 100 ms while
   * members join and registrations spread. After this, the tests expect no loss.
   */
  private Future<Void> warmUp() {
    long probeRound = rounds.getAndIncrement();
    Promise<Void> done = Promise.promise();
    Vertx timers = fixture.vertx("n1");
    BooleanSupplier allHeard = () -> {
      for (String a : TransportFixture.RUNNING) {
        for (String b : TransportFixture.RUNNING) {
          if (!a.equals(b) && arrivals.stream().noneMatch(x -> x.node().equals(b)
              && x.message().from().equals(a))) {
            return false;
          }
        }
      }
      return true;
    };
    long timer = timers.setPeriodic(0, 100, id -> {
      for (String a : TransportFixture.RUNNING) {
        for (String b : TransportFixture.RUNNING) {
          if (!a.equals(b)) {
            send(a, probe(a, b, probeRound));
          }
        }
      }
    });
    onArrival = () -> {
      if (allHeard.getAsBoolean()) {
        done.tryComplete();
      }
    };
    return done.future().andThen(ar -> {
      timers.cancelTimer(timer);
      onArrival = () -> {};
    });
  }
}
