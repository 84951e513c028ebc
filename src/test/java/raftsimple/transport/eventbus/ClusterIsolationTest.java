package raftsimple.transport.eventbus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import io.vertx.core.buffer.Buffer;
import raftsimple.bus.Addresses;
import raftsimple.bus.BusApi;
import raftsimple.transport.WireCodec;
import raftsimple.bus.LocalCodec;
import raftsimple.chain.Hash;
import raftsimple.config.NodeConfig;
import raftsimple.core.msg.Message;
import raftsimple.transport.QuietHazelcast;
import raftsimple.transport.TestCerts;

/**
 * What a clustered event bus does with a node's internal addresses (docs/TRANSPORTS.md §3.2), on
 * two real cluster members n1 and n2 (TLS off, so routing alone is under test) and a foreign
 * Hazelcast member: a send to an internal address never leaves the sending process, a message from
 * another node never reaches a local-only consumer, and a foreign member's cluster-wide consumer on
 * an internal address receives nothing. Also: the transport's member audit counts the foreign
 * member without refusing to start, and refuses to start beside a peer of another cluster.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
class ClusterIsolationTest {
  private static final int K = 20;
  private final Map<String, Integer> ports = new TreeMap<>();
  private Path dir;
  private Vertx n1;
  private Vertx n2;
  private Vertx foreign;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    QuietHazelcast.install();
    this.dir = dir;
    ports.put("n1", TestCerts.freePort());
    ports.put("n2", TestCerts.freePort());
    n1 = EventBusNodes.await(EventBusNodes.clustered(config("n1", List.of("n2"))));
    n2 = EventBusNodes.await(EventBusNodes.clustered(config("n2", List.of("n1"))));
    foreign = EventBusNodes.await(EventBusNodes.foreign(TestCerts.freePort(), ports.get("n1")));
    LocalCodec.registerAll(n1.eventBus());
    LocalCodec.registerAll(n2.eventBus());
  }

  private NodeConfig config(String id, List<String> peers) {
    return EventBusNodes.config(dir, id, peers, ports);
  }

  @AfterAll
  void stop() throws Exception {
    for (Vertx v : new Vertx[] {foreign, n2, n1}) {
      if (v != null) {
        EventBusNodes.await(v.close());
      }
    }
  }

  static List<String> internalAddresses() throws IllegalAccessException {
    List<String> out = new ArrayList<>();
    for (Field f : Addresses.class.getFields()) {
      if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
        out.add((String) f.get(null));
      }
    }
    return out;
  }

  @Test
  void everyInternalAddress_isDeliveredOnTheSendingNodeOnly(VertxTestContext tc) throws Exception {
    List<String> addresses = internalAddresses();
    assertTrue(addresses.contains(Addresses.PEER_IN) && addresses.size() >= 10, "" + addresses);
    AtomicInteger atN1 = new AtomicInteger();
    AtomicInteger atN2 = new AtomicInteger();
    List<MessageConsumer<?>> consumers = new ArrayList<>();
    for (String a : addresses) {
      consumers.add(n1.eventBus().localConsumer(a, m -> atN1.incrementAndGet()));
      consumers.add(n2.eventBus().localConsumer(a, m -> atN2.incrementAndGet()));
    }
    MessageConsumer<Object> fence = n2.eventBus().consumer("test.fence", m -> m.reply("fence"));
    consumers.add(fence);
    Future.all(consumers.stream().map(MessageConsumer::completion).toList())
        .compose(v -> {
          // Plain sends, as the log and ingress verticles make them (no localOnly option).
          n1.getOrCreateContext().runOnContext(x -> {
            for (String a : addresses) {
              for (int i = 0; i < K; i++) {
                n1.eventBus().send(a, "probe " + i);
              }
            }
          });
          return until(n1, () -> atN1.get() == K * addresses.size());
        })
        // Everything n1 wrote to n2 before this request has arrived when the answer comes back.
        .compose(v -> n1.eventBus().request("test.fence", "x", options()))
        .eventually(() -> unregister(consumers))
        .onComplete(tc.succeeding(v -> tc.verify(() -> {
          assertEquals(K * addresses.size(), atN1.get());
          assertEquals(0, atN2.get(), "an internal send reached another node");
          tc.completeNow();
        })));
  }

  @Test
  void aMessageFromAnotherNode_neverReachesALocalOnlyConsumer(VertxTestContext tc) {
    String address = "raftsimple.test.both";
    AtomicInteger local = new AtomicInteger();
    AtomicInteger clusterWide = new AtomicInteger();
    List<MessageConsumer<?>> consumers = List.of(
        n2.eventBus().localConsumer(address, m -> local.incrementAndGet()),
        n2.eventBus().consumer(address, m -> clusterWide.incrementAndGet()));
    Future.all(consumers.stream().map(MessageConsumer::completion).toList())
        .compose(v -> {
          for (int i = 0; i < K; i++) {
            n1.eventBus().send(address, "from n1 " + i); // only n2 has a cluster registration
          }
          return until(n1, () -> clusterWide.get() == K);
        })
        .eventually(() -> unregister(consumers))
        .onComplete(tc.succeeding(v -> tc.verify(() -> {
          assertEquals(0, local.get(), "a message from the wire reached a local-only consumer");
          tc.completeNow();
        })));
  }

  /**
   * A foreign member registers a cluster-wide consumer on PEER_IN. Sends with {@code localOnly}
   * (what the transport does) never consider it. Plain sends do: Vert.x round-robins between the
   * local registration and the foreign one, but the local codec refuses to encode the body, so the
   * diverted request fails here (a timeout after the codec's refusal, both checked) and the foreign
   * member still receives nothing.
   */
  @Test
  void aForeignConsumerOnAnInternalAddress_receivesNothing(VertxTestContext tc) {
    AtomicInteger atForeign = new AtomicInteger();
    AtomicInteger atN1 = new AtomicInteger();
    AtomicInteger diverted = new AtomicInteger();
    AtomicInteger refusals = new AtomicInteger();
    List<MessageConsumer<?>> foreignSide = List.of(
        foreign.eventBus().consumer(Addresses.PEER_IN, m -> atForeign.incrementAndGet()),
        foreign.eventBus().consumer("test.foreign.fence", m -> m.reply("fence")));
    MessageConsumer<Message> mine = n1.eventBus().localConsumer(Addresses.PEER_IN, m -> {
      atN1.incrementAndGet();
      m.reply("ok");
    });
    DeliveryOptions local = new DeliveryOptions().setLocalOnly(true).setSendTimeout(2_000);
    Future.all(foreignSide.get(0).completion(), foreignSide.get(1).completion(), mine.completion())
        .compose(v -> {
          List<Future<?>> replies = new ArrayList<>();
          for (int i = 0; i < K; i++) {
            replies.add(n1.eventBus().request(Addresses.PEER_IN, probe(i), local));
          }
          return Future.all(replies);
        })
        .compose(v -> {
          n1.exceptionHandler(countLocalOnlyRefusals(refusals));
          return requestUntilOneIsDiverted(diverted, refusals, 0);
        })
        .andThen(ar -> n1.exceptionHandler(null))
        .compose(v -> n1.eventBus().request("test.foreign.fence", "x", options()))
        .eventually(() -> {
          List<MessageConsumer<?>> all = new ArrayList<>(foreignSide);
          all.add(mine);
          return unregister(all);
        })
        .onComplete(tc.succeeding(v -> tc.verify(() -> {
          assertEquals(0, atForeign.get(), "the foreign member received an internal message");
          assertEquals(1, diverted.get());
          assertTrue(refusals.get() >= 1, "the local codec refused to encode: " + refusals.get());
          assertTrue(atN1.get() >= K, "localOnly sends all stayed local: " + atN1.get());
          tc.completeNow();
        })));
  }

  /**
   * Plain requests, one at a time, until one fails because Vert.x chose the foreign member. Only
   * that failure counts: the local codec refused to encode the body for the wire (an "is local-only"
   * exception on n1, seen by {@code refusals}) and the request then timed out, since nothing left.
   * Any other failure (no handler, a recipient failure, a timeout without a refusal) fails the test.
   */
  private Future<Void> requestUntilOneIsDiverted(AtomicInteger diverted, AtomicInteger refusals,
      int attempt) {
    if (attempt > 1_000) {
      return Future.failedFuture("no plain request was ever routed to the foreign consumer");
    }
    int refusalsBefore = refusals.get();
    return n1.eventBus().request(Addresses.PEER_IN, probe(attempt), new DeliveryOptions()
            .setSendTimeout(1_000))
        .transform(ar -> {
          if (ar.succeeded()) {
            return requestUntilOneIsDiverted(diverted, refusals, attempt + 1);
          }
          boolean timedOut = ar.cause() instanceof ReplyException r
              && r.failureType() == ReplyFailure.TIMEOUT;
          if (timedOut && refusals.get() > refusalsBefore) {
            diverted.incrementAndGet();
            return Future.succeededFuture();
          }
          return Future.failedFuture(new AssertionError("a plain request failed, but not because "
              + "the local codec kept its body from the wire: " + ar.cause()));
        });
  }

  /** Counts n1's refusals to encode a local-only body for the wire; other errors stay loud. */
  private static io.vertx.core.Handler<Throwable> countLocalOnlyRefusals(AtomicInteger refusals) {
    return e -> {
      if (e instanceof UnsupportedOperationException
          && String.valueOf(e.getMessage()).endsWith(" is local-only")) {
        refusals.incrementAndGet();
      } else {
        System.getLogger(ClusterIsolationTest.class.getName())
            .log(System.Logger.Level.ERROR, "unhandled exception on n1", e);
      }
    };
  }

  @Test
  void theAudit_countsTheForeignMember_butStarts(VertxTestContext tc) {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    n1.deployVerticle(new EventBusTransportVerticle(config("n1", List.of("n2")), registry))
        .compose(id -> until(n1, () -> gauge(registry) == 1).map(id))
        .compose(id -> n1.undeploy(id))
        .onComplete(tc.succeedingThenComplete());
  }

  /** A peer configured for HTTPS posts to this event-bus node: refused with 421, loudly. */
  @Test
  void peerMessagesOverHttps_areRefusedAsMisdirected(VertxTestContext tc) {
    byte[] envelope = WireCodec.encode("n1", List.of(new Message.ReadQuery("n1", "n2", 0, Hash.ZERO, 1)));
    n2.deployVerticle(new EventBusTransportVerticle(config("n2", List.of("n1")),
            new SimpleMeterRegistry()))
        .compose(id -> n2.eventBus().<Integer>request(Addresses.PEER_HTTP_INBOUND,
                new BusApi.PeerHttpBody(Buffer.buffer(envelope), "CN=n1"),
                new DeliveryOptions().setLocalOnly(true).setSendTimeout(5_000))
            .compose(reply -> n2.undeploy(id).map(reply.body())))
        .onComplete(tc.succeeding(status -> tc.verify(() -> {
          assertEquals(421, status);
          tc.completeNow();
        })));
  }

  @Test
  void aPeerOfAnotherCluster_refusesToStart() throws Exception {
    // n3 lists n1 and n2 as peers, but n1 and n2 list only each other: the voter sets differ.
    ports.put("n3", TestCerts.freePort());
    NodeConfig n3Config = config("n3", List.of("n1", "n2"));
    ports.remove("n3");
    // Blocking on the test thread: a Vert.x must not be closed from its own event loop.
    Vertx n3 = EventBusNodes.await(EventBusNodes.clustered(n3Config));
    try {
      ExecutionException e = assertThrows(ExecutionException.class, () -> EventBusNodes.await(
          n3.deployVerticle(new EventBusTransportVerticle(n3Config, new SimpleMeterRegistry()))));
      String message = e.getCause().getMessage();
      assertTrue(message.contains("refusing to start") && message.contains("member n1")
          && message.contains("belongs to cluster"), message);
    } finally {
      EventBusNodes.await(n3.close());
    }
  }

  // ------------------------------------------------------------------ helpers

  private static double gauge(SimpleMeterRegistry registry) {
    var g = registry.find("raftsimple_eventbus_unexpected_members").gauge();
    return g == null ? -1 : g.value();
  }

  private static Message probe(long round) {
    return new Message.ReadQuery("n2", "n1", 0, Hash.ZERO, round);
  }

  private static DeliveryOptions options() {
    return new DeliveryOptions().setSendTimeout(5_000);
  }

  private static Future<Void> unregister(List<MessageConsumer<?>> consumers) {
    return Future.all(consumers.stream().map(MessageConsumer::unregister).toList()).mapEmpty();
  }

  /** Completes once {@code condition} holds, checking every 10 ms on {@code vertx}. */
  private static Future<Void> until(Vertx vertx, BooleanSupplier condition) {
    Promise<Void> done = Promise.promise();
    vertx.setPeriodic(0, 10, id -> {
      if (condition.getAsBoolean()) {
        vertx.cancelTimer(id);
        done.tryComplete();
      }
    });
    return done.future();
  }
}
