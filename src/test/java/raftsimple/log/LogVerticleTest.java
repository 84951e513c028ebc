package raftsimple.log;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import raftsimple.bus.Addresses;
import raftsimple.bus.BusApi;
import raftsimple.config.NodeConfig;
import raftsimple.statemachine.KvStateMachine;
import raftsimple.statemachine.host.StateMachineVerticle;

@ExtendWith(VertxExtension.class)
class LogVerticleTest {
  private static final DeliveryOptions OPTS = new DeliveryOptions().setSendTimeout(5_000);

  private static BusApi.Submit put(String key, int value) {
    String json = "{\"op\":\"put\",\"key\":\"" + key + "\",\"value\":" + value + "}";
    return new BusApi.Submit(json.getBytes(StandardCharsets.UTF_8), null, System.currentTimeMillis());
  }

  /** Deploys a state machine and a log verticle on {@code store}; returns both deployment ids. */
  private Future<List<String>> deploy(Vertx vertx, MemoryRecordStore store) {
    NodeConfig config = NodeConfig.defaults();
    return vertx.deployVerticle(new StateMachineVerticle(new KvStateMachine(), 1_000))
        .compose(sm -> vertx.deployVerticle(new LogVerticle(config, () -> store, new SimpleMeterRegistry()))
            .map(log -> List.of(log, sm)));
  }

  @Test
  void singleNodeCommitsConcurrentSubmitsInOrderAndSurvivesRedeploy(Vertx vertx, VertxTestContext ctx) {
    MemoryRecordStore store = new MemoryRecordStore();
    List<String> first = new ArrayList<>();
    deploy(vertx, store).compose(ids -> {
      first.addAll(ids);
      List<Future<BusApi.SubmitOutcome>> all = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        all.add(vertx.eventBus().<BusApi.SubmitOutcome>request(Addresses.LOG_SUBMIT, put("k" + i, i), OPTS)
            .map(m -> m.body()));
      }
      return Future.all(all).map(cf -> cf.<BusApi.SubmitOutcome>list());
    }).compose(outcomes -> {
      ctx.verify(() -> {
        long maxIndex = 0;
        for (BusApi.SubmitOutcome o : outcomes) {
          assertEquals(BusApi.SubmitOutcome.Kind.COMMITTED, o.kind());
          maxIndex = Math.max(maxIndex, o.index());
        }
        assertEquals(50, maxIndex);
      });
      return vertx.eventBus().<com.fasterxml.jackson.databind.node.ObjectNode>request(
          Addresses.LOG_QUERY, new BusApi.Query(BusApi.Query.Kind.HEAD, null, 0, 0), OPTS);
    }).compose(head -> {
      String before = head.body().get("head").asText();
      // Restart: fresh verticles on the same records must replay the same head and state.
      return vertx.undeploy(first.get(0)).compose(v -> vertx.undeploy(first.get(1)))
          .compose(v -> deploy(vertx, store))
          .compose(id -> vertx.eventBus().<com.fasterxml.jackson.databind.node.ObjectNode>request(
              Addresses.LOG_QUERY, new BusApi.Query(BusApi.Query.Kind.HEAD, null, 0, 0), OPTS))
          .compose(h2 -> vertx.eventBus().<BusApi.ReadResult>request(Addresses.SM_READ,
              new BusApi.Read("k7", 50), OPTS).map(r -> {
                ctx.verify(() -> {
                  assertEquals(before, h2.body().get("head").asText());
                  assertEquals(50, h2.body().get("length").asLong());
                  assertEquals(7, r.body().value().asInt());
                });
                return r;
              }));
    }).onComplete(ctx.succeedingThenComplete());
  }

  /**
   * The live end of GET /watch: every applied entry is published on LOG_COMMITTED exactly once, in
   * contiguous batches in log order, each entry the one GET /log shows at its index, and no later
   * than its client's reply.
   */
  @Test
  void everyAppliedEntryIsPublishedOnceInOrderNoLaterThanItsReply(Vertx vertx, VertxTestContext ctx) {
    MemoryRecordStore store = new MemoryRecordStore();
    List<raftsimple.chain.LogEntry> published = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<String> problems = new java.util.concurrent.CopyOnWriteArrayList<>();
    vertx.eventBus().<BusApi.Committed>localConsumer(Addresses.LOG_COMMITTED, m -> {
      List<raftsimple.chain.LogEntry> batch = m.body().entries();
      long expected = published.isEmpty() ? 1 : published.get(published.size() - 1).index() + 1;
      if (batch.get(0).index() != expected) {
        problems.add("batch starts at " + batch.get(0).index() + ", expected " + expected);
      }
      for (int i = 1; i < batch.size(); i++) {
        if (batch.get(i).index() != batch.get(i - 1).index() + 1) {
          problems.add("batch not contiguous at " + batch.get(i).index());
        }
      }
      published.addAll(batch);
    });
    deploy(vertx, store).compose(ids -> {
      List<Future<BusApi.SubmitOutcome>> all = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        all.add(vertx.eventBus().<BusApi.SubmitOutcome>request(Addresses.LOG_SUBMIT, put("w" + i, i), OPTS)
            .map(m -> {
              long index = m.body().index();
              if (published.stream().noneMatch(e -> e.index() == index)) {
                problems.add("entry " + index + " was answered before it was published");
              }
              return m.body();
            }));
      }
      return Future.all(all);
    }).compose(done -> vertx.eventBus().<com.fasterxml.jackson.databind.node.ObjectNode>request(
        Addresses.LOG_QUERY, new BusApi.Query(BusApi.Query.Kind.LOG, null, 1, 1000), OPTS))
        .onComplete(ctx.succeeding(log -> ctx.verify(() -> {
          assertEquals(List.of(), problems);
          com.fasterxml.jackson.databind.JsonNode entries = log.body().get("entries");
          assertEquals(40, entries.size());
          assertEquals(40, published.size());
          for (int i = 0; i < 40; i++) {
            assertEquals(i + 1, published.get(i).index());
            assertEquals(entries.get(i).toString(), raftsimple.bus.EntryJson.of(published.get(i)).toString());
          }
          ctx.completeNow();
        })));
  }

  private static BusApi.Submit keyed(String payload, String key) {
    return new BusApi.Submit(payload.getBytes(StandardCharsets.UTF_8), key, System.currentTimeMillis());
  }

  private static raftsimple.chain.Hash hashOf(String payload) {
    return raftsimple.chain.Hashing.sha256(payload.getBytes(StandardCharsets.UTF_8));
  }

  private static <T> Future<T> ask(Vertx vertx, String address, Object body) {
    return vertx.eventBus().<T>request(address, body, OPTS).map(m -> m.body());
  }

  private static double gauge(SimpleMeterRegistry registry, String name) {
    return registry.get(name).gauge().value();
  }

  /**
   * docs/PROTOCOL.md §10: a retry after the first attempt timed out (503) joins the entry still in
   * flight, whether it asks first ({@code LOG_ATTACH}) or is submitted again; it gets the same
   * txid, and the core holds one entry, not two. A voter whose peer never answers cannot commit, so
   * the entry stays in flight throughout.
   */
  @Test
  void aRetryAfterATimeoutJoinsTheEntryInFlight_neverASecondEntry(Vertx vertx, VertxTestContext ctx) {
    NodeConfig d = NodeConfig.defaults();
    NodeConfig.Limits l = d.limits();
    NodeConfig config = new NodeConfig("n1", "127.0.0.1", 0, d.dataDir(), false,
        List.of(new NodeConfig.Peer("n2", "https://127.0.0.1:1")), null, "https", "kv", 1_500, d.tls(), null,
        new NodeConfig.Limits(300, l.bodyBytesMax(), l.batchEntriesMax(), l.batchBytesMax(),
            l.pendingEntriesMax(), l.idempotencyKeysMax(), l.catchUpEntriesMax(), l.heartbeatMs(),
            l.walSegmentBytes(), l.snapshotEveryEntries(), l.snapshotEveryBytes(), l.snapshotRetainEntries(),
            l.eventLoops()));
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    String body = "{\"op\":\"append\",\"key\":\"l\",\"value\":1}";
    vertx.deployVerticle(new StateMachineVerticle(new KvStateMachine(), 1_000))
        .compose(sm -> vertx.deployVerticle(new LogVerticle(config, MemoryRecordStore::new, registry)))
        .compose(id -> ask(vertx, Addresses.LOG_SUBMIT, keyed(body, "order-7")))
        .compose(first -> {
          BusApi.SubmitOutcome o = (BusApi.SubmitOutcome) first;
          ctx.verify(() -> {
            assertEquals(BusApi.SubmitOutcome.Kind.UNAVAILABLE, o.kind());
            org.junit.jupiter.api.Assertions.assertNotNull(o.txid());
          });
          return ask(vertx, Addresses.LOG_ATTACH, new BusApi.Attach("order-7", hashOf(body)))
              .compose(attached -> ask(vertx, Addresses.LOG_SUBMIT, keyed(body, "order-7"))
                  .map(resubmitted -> List.of(o, attached, resubmitted)));
        })
        .compose(three -> ask(vertx, Addresses.LOG_ATTACH, new BusApi.Attach("order-7", hashOf("{}")))
            .compose(reused -> ask(vertx, Addresses.LOG_ATTACH, new BusApi.Attach("other", hashOf(body)))
                .map(none -> {
                  ctx.verify(() -> {
                    BusApi.SubmitOutcome o = (BusApi.SubmitOutcome) three.get(0);
                    for (Object later : three.subList(1, 3)) {
                      BusApi.SubmitOutcome r = (BusApi.SubmitOutcome) later;
                      assertEquals(BusApi.SubmitOutcome.Kind.UNAVAILABLE, r.kind(), r.toString());
                      assertEquals(o.txid(), r.txid(), "the retry waited for the same entry");
                    }
                    BusApi.SubmitOutcome refused = (BusApi.SubmitOutcome) reused;
                    assertEquals(BusApi.SubmitOutcome.Kind.REFUSED, refused.kind());
                    assertEquals("IDEMPOTENCY_KEY_REUSED", refused.code());
                    assertEquals(BusApi.NONE, none);
                    assertEquals(1.0, gauge(registry, "raftsimple_queued_entries"), "one entry, not two");
                    assertEquals(1.0, gauge(registry, "raftsimple_pending_idempotency_keys"));
                    assertEquals(0.0, gauge(registry, "raftsimple_waiting_clients"));
                  });
                  return null;
                })))
        .onComplete(ctx.succeedingThenComplete());
  }

  /**
   * Once an entry's outcome is applied its key leaves the log's table (the replicated table knows
   * it). A second entry with the same key and body that still reaches the log (here submitted
   * straight to the log; in a cluster, a retry on another node while the first attempt's origin was
   * cut off) is not applied: it gets the original outcome, and {@code GET /log} and {@code GET
   * /entries/{txid}} mark it {@code "duplicateOf"} the original's index.
   */
  @Test
  void aSecondEntryWithACommittedKey_isMarkedADuplicateAndNotApplied(Vertx vertx, VertxTestContext ctx) {
    String body = "{\"op\":\"append\",\"key\":\"l\",\"value\":1}";
    MemoryRecordStore store = new MemoryRecordStore();
    deploy(vertx, store)
        .compose(ids -> ask(vertx, Addresses.LOG_SUBMIT, keyed(body, "k")))
        .compose(first -> ask(vertx, Addresses.LOG_ATTACH, new BusApi.Attach("k", hashOf(body)))
            .compose(none -> ask(vertx, Addresses.LOG_SUBMIT, keyed(body, "k"))
                .map(second -> List.of(first, none, second))))
        .compose(three -> ask(vertx, Addresses.LOG_QUERY, new BusApi.Query(BusApi.Query.Kind.LOG, null, 1, 10))
            .compose(log -> ask(vertx, Addresses.SM_READ, new BusApi.Read("l", 2)).map(read -> {
              ctx.verify(() -> {
                BusApi.SubmitOutcome first = (BusApi.SubmitOutcome) three.get(0);
                BusApi.SubmitOutcome second = (BusApi.SubmitOutcome) three.get(2);
                assertEquals(BusApi.SubmitOutcome.Kind.COMMITTED, first.kind());
                assertEquals(1, first.index());
                assertEquals(BusApi.NONE, three.get(1), "the key left the log's table once applied");
                assertEquals(first, second, "the duplicate answers with the original outcome");
                com.fasterxml.jackson.databind.JsonNode entries = ((com.fasterxml.jackson.databind.JsonNode) log).get("entries");
                assertEquals(2, entries.size(), entries.toString());
                org.junit.jupiter.api.Assertions.assertFalse(entries.get(0).has("duplicateOf"), entries.toString());
                assertEquals(1, entries.get(1).get("duplicateOf").asLong(), entries.toString());
                assertEquals("[1]", ((BusApi.ReadResult) read).value().toString(), "applied once");
              });
              return ((com.fasterxml.jackson.databind.JsonNode) log).get("entries").get(1).get("txid").asText();
            })))
        .compose(txid -> ask(vertx, Addresses.LOG_QUERY, new BusApi.Query(BusApi.Query.Kind.ENTRY, txid, 0, 0)))
        .onComplete(ctx.succeeding(status -> ctx.verify(() -> {
          com.fasterxml.jackson.databind.JsonNode s = (com.fasterxml.jackson.databind.JsonNode) status;
          assertEquals("committed", s.get("status").asText(), s.toString());
          assertEquals(2, s.get("index").asLong());
          assertEquals(1, s.get("duplicateOf").asLong());
          ctx.completeNow();
        })));
  }
}
