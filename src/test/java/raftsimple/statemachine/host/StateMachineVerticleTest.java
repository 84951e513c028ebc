package raftsimple.statemachine.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import raftsimple.bus.Addresses;
import raftsimple.bus.BusApi;
import raftsimple.bus.BusApi.ApplyBatch;
import raftsimple.bus.BusApi.ApplyResults;
import raftsimple.bus.BusApi.IdempotencyHit;
import raftsimple.bus.BusApi.IdempotencyLookup;
import raftsimple.bus.BusApi.Read;
import raftsimple.bus.BusApi.ReadResult;
import raftsimple.bus.BusApi.Validate;
import raftsimple.chain.LogEntry;
import raftsimple.config.NodeConfig;
import raftsimple.statemachine.StateMachine;
import raftsimple.statemachine.Verdict;
import raftsimple.statemachine.Applied;
import raftsimple.statemachine.Json;
import raftsimple.statemachine.LoadFixtures;
import raftsimple.statemachine.KvStateMachine;

@ExtendWith(VertxExtension.class)
class StateMachineVerticleTest {
  private static final DeliveryOptions OPTS = new DeliveryOptions().setSendTimeout(10_000);
  private final TestLog log = new TestLog();

  private static JsonNode json(String s) {
    return Json.parse(s.getBytes(StandardCharsets.UTF_8));
  }

  private static <T> Future<T> ask(Vertx vertx, String address, Object body) {
    return vertx.eventBus().<T>request(address, body, OPTS).map(Message::body);
  }

  private Future<ApplyResults> apply(Vertx vertx, LogEntry... entries) {
    return ask(vertx, Addresses.SM_APPLY, new ApplyBatch(List.of(entries)));
  }

  private static Future<String> deploy(Vertx vertx, StateMachineVerticle v) {
    return vertx.deployVerticle(v);
  }

  @Test
  void validate_repliesWithTheVerdict(Vertx vertx, VertxTestContext ctx) {
    deploy(vertx, new StateMachineVerticle(new KvStateMachine(), 10))
        .compose(id -> ask(vertx, Addresses.SM_VALIDATE, new Validate(json("{\"op\":\"put\",\"key\":\"a\",\"value\":1}"))))
        .compose(ok -> {
          ctx.verify(() -> assertSame(Verdict.accept(), ok));
          return ask(vertx, Addresses.SM_VALIDATE, new Validate(json("{\"op\":\"put\",\"key\":\"a\"}")));
        })
        .onComplete(ctx.succeeding(no -> ctx.verify(() -> {
          Verdict v = (Verdict) no;
          assertFalse(v.accepted());
          assertEquals("op \"put\" needs a \"value\"", v.reason());
          ctx.completeNow();
        })));
  }

  @Test
  void apply_repliesWithOutcomesAndAppliedIndex_thenReadSeesIt(Vertx vertx, VertxTestContext ctx) {
    LogEntry e1 = log.next("{\"op\":\"put\",\"key\":\"a\",\"value\":1}");
    LogEntry e2 = log.next("{\"op\":\"append\",\"key\":\"a\",\"value\":1}");
    deploy(vertx, new StateMachineVerticle(new KvStateMachine(), 10))
        .compose(id -> apply(vertx, e1, e2))
        .compose(r -> {
          ctx.verify(() -> {
            assertEquals(2, r.appliedIndex());
            assertEquals(2, r.outcomes().size());
            assertEquals(e1.txid(), r.outcomes().get(0).txid());
            assertTrue(r.outcomes().get(0).ok());
            assertEquals("cannot append to \"a\": it holds a number, not a list", r.outcomes().get(1).reason());
          });
          return ask(vertx, Addresses.SM_READ, new Read("a", 0));
        })
        .compose(r -> {
          ctx.verify(() -> assertEquals(new ReadResult("a", json("1"), 2), r));
          return ask(vertx, Addresses.SM_READ, new Read("missing", 2));
        })
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          assertEquals(new ReadResult("missing", null, 2), r);
          ctx.completeNow();
        })));
  }

  /**
   * A restore runs on a worker (a large state takes seconds to decode); requests sent meanwhile
   * wait for it and then see the restored state, never a half-restored one.
   */
  @Test
  void restore_requestsSentDuringItSeeTheRestoredState(Vertx vertx, VertxTestContext ctx) {
    KvStateMachine source = new KvStateMachine();
    AppliedState donor = new AppliedState(source, 10);
    List<LogEntry> entries = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      entries.add(log.next("{\"op\":\"put\",\"key\":\"k" + i + "\",\"value\":" + i + "}"));
    }
    donor.apply(entries);
    byte[] snapshot = donor.snapshot();
    deploy(vertx, new StateMachineVerticle(new KvStateMachine(), 10)).onComplete(ctx.succeeding(id -> {
      Future<Long> restored = ask(vertx, Addresses.SM_RESTORE, BusApi.Restore.of(snapshot));
      Future<ReadResult> read = ask(vertx, Addresses.SM_READ, new Read("k19999", 0));
      Future.all(restored, read).onComplete(ctx.succeeding(all -> ctx.verify(() -> {
        assertEquals(20_000L, restored.result());
        assertEquals(new ReadResult("k19999", json("19999"), 20_000), read.result());
        ctx.completeNow();
      })));
    }));
  }

  /**
   * A restart restores the snapshot and re-applies the log after it, both on a worker: a request
   * sent meanwhile waits for both (in arrival order), never sees the state half-way.
   */
  @Test
  void replayedBatch_afterARestore_isAppliedOffTheLoop_requestsWaitForBoth(Vertx vertx, VertxTestContext ctx) {
    AppliedState donor = new AppliedState(new KvStateMachine(), 10);
    List<LogEntry> before = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      before.add(log.next("{\"op\":\"put\",\"key\":\"k" + i + "\",\"value\":" + i + "}"));
    }
    donor.apply(before);
    byte[] snapshot = donor.snapshot();
    List<LogEntry> after = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      after.add(log.next("{\"op\":\"put\",\"key\":\"r" + i + "\",\"value\":" + i + "}"));
    }
    deploy(vertx, new StateMachineVerticle(new KvStateMachine(), 10)).onComplete(ctx.succeeding(id -> {
      Future<Long> restored = ask(vertx, Addresses.SM_RESTORE, new BusApi.Restore(() -> new java.io.ByteArrayInputStream(snapshot)));
      Future<ApplyResults> replayed = ask(vertx, Addresses.SM_APPLY, new ApplyBatch(after, true));
      Future<ReadResult> read = ask(vertx, Addresses.SM_READ, new Read("r19999", 0));
      Future<ReadResult> old = ask(vertx, Addresses.SM_READ, new Read("k0", 0));
      Future.all(restored, replayed, read, old).onComplete(ctx.succeeding(all -> ctx.verify(() -> {
        assertEquals(20_000L, restored.result());
        assertEquals(new ApplyResults(List.of(), 40_000), replayed.result(), "no outcomes for a replay");
        assertEquals(new ReadResult("r19999", json("19999"), 40_000), read.result());
        assertEquals(new ReadResult("k0", json("0"), 40_000), old.result());
        ctx.completeNow();
      })));
    }));
  }

  /** A batch too large for the loop goes to a worker, with its outcomes as usual. */
  @Test
  void largeBatch_isAppliedOffTheLoop_withItsOutcomes(Vertx vertx, VertxTestContext ctx) {
    List<LogEntry> entries = new ArrayList<>();
    for (int i = 0; i <= StateMachineVerticle.ON_LOOP_ENTRIES_MAX; i++) {
      entries.add(log.next("{\"op\":\"put\",\"key\":\"a\",\"value\":" + i + "}"));
    }
    deploy(vertx, new StateMachineVerticle(new KvStateMachine(), 10)).onComplete(ctx.succeeding(id -> {
      Future<ApplyResults> applied = ask(vertx, Addresses.SM_APPLY, new ApplyBatch(entries));
      Future<ReadResult> read = ask(vertx, Addresses.SM_READ, new Read("a", 0));
      Future.all(applied, read).onComplete(ctx.succeeding(all -> ctx.verify(() -> {
        int n = entries.size();
        assertEquals(n, applied.result().outcomes().size());
        assertEquals(json("{\"prev\":" + (n - 2) + "}"), applied.result().outcomes().get(n - 1).result());
        assertEquals(new ReadResult("a", json(String.valueOf(n - 1)), n), read.result());
        ctx.completeNow();
      })));
    }));
  }

  @Test
  void restore_ofBytesThatAreNotASnapshot_fails400_andChangesNothing(Vertx vertx, VertxTestContext ctx) {
    LogEntry e1 = log.next("{\"op\":\"put\",\"key\":\"a\",\"value\":1}");
    deploy(vertx, new StateMachineVerticle(new KvStateMachine(), 10))
        .compose(id -> apply(vertx, e1))
        .compose(r -> ask(vertx, Addresses.SM_RESTORE, BusApi.Restore.of("nonsense".getBytes(StandardCharsets.UTF_8)))
            .transform(ar -> {
              ctx.verify(() -> {
                assertTrue(ar.failed());
                ReplyException e = assertInstanceOf(ReplyException.class, ar.cause());
                assertEquals(400, e.failureCode());
                assertTrue(e.getMessage().startsWith("snapshot refused: "), e.getMessage());
              });
              return ask(vertx, Addresses.SM_READ, new Read("a", 0));
            }))
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          assertEquals(new ReadResult("a", json("1"), 1), r);
          ctx.completeNow();
        })));
  }

  @Test
  void read_forAFutureIndex_isAnsweredAfterTheApplyThatReachesIt(Vertx vertx, VertxTestContext ctx) {
    LogEntry e1 = log.next("{\"op\":\"put\",\"key\":\"a\",\"value\":1}");
    LogEntry e2 = log.next("{\"op\":\"put\",\"key\":\"a\",\"value\":2}");
    deploy(vertx, new StateMachineVerticle(new KvStateMachine(), 10)).onComplete(ctx.succeeding(id -> {
      Future<ReadResult> read = ask(vertx, Addresses.SM_READ, new Read("a", 2));
      // The lookup is handled after the read on the verticle's loop, so the read is waiting by then.
      ask(vertx, Addresses.SM_IDEMPOTENCY, new IdempotencyLookup("x"))
          .compose(none -> apply(vertx, e1))
          .compose(r1 -> {
            ctx.verify(() -> assertFalse(read.isComplete(), "index 1 < minIndex 2: still waiting"));
            return apply(vertx, e2);
          })
          .compose(r2 -> read)
          .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
            assertEquals(new ReadResult("a", json("2"), 2), r);
            ctx.completeNow();
          })));
    }));
  }

  @Test
  void read_thatWaitsTooLong_fails503(Vertx vertx, VertxTestContext ctx) {
    deploy(vertx, new StateMachineVerticle(new KvStateMachine(), 10, 20))
        .compose(id -> ask(vertx, Addresses.SM_READ, new Read("a", 5)))
        .onComplete(ctx.failing(e -> ctx.verify(() -> {
          ReplyException re = assertInstanceOf(ReplyException.class, e);
          assertEquals(503, re.failureCode());
          assertEquals("state has not reached index 5 within 20 ms (applied through 0)", re.getMessage());
          ctx.completeNow();
        })));
  }

  @Test
  void waitingReads_areBounded(Vertx vertx, VertxTestContext ctx) {
    deploy(vertx, new StateMachineVerticle(new KvStateMachine(), 10, 60_000)).onComplete(ctx.succeeding(id -> {
      List<Future<ReadResult>> waiting = new ArrayList<>();
      for (int i = 0; i < StateMachineVerticle.WAITING_READS_MAX; i++) {
        waiting.add(ask(vertx, Addresses.SM_READ, new Read("a", 1)));
      }
      ask(vertx, Addresses.SM_READ, new Read("a", 1))
          .onComplete(ctx.failing(e -> ctx.verify(() -> {
            assertEquals(503, ((ReplyException) e).failureCode());
            assertTrue(e.getMessage().startsWith("too many reads waiting"), e.getMessage());
            apply(vertx, log.next("{\"op\":\"put\",\"key\":\"a\",\"value\":7}"))
                .compose(r -> Future.all(waiting))
                .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
                  assertEquals(new ReadResult("a", json("7"), 1), waiting.get(9_999).result());
                  ctx.completeNow();
                })));
          })));
    }));
  }

  @Test
  void idempotency_repliesNoneOrTheHit(Vertx vertx, VertxTestContext ctx) {
    LogEntry e1 = log.next("{\"op\":\"put\",\"key\":\"a\",\"value\":1}", "key-1");
    deploy(vertx, new StateMachineVerticle(new KvStateMachine(), 10))
        .compose(id -> ask(vertx, Addresses.SM_IDEMPOTENCY, new IdempotencyLookup("key-1")))
        .compose(none -> {
          ctx.verify(() -> assertSame(BusApi.NONE, none));
          return apply(vertx, e1);
        })
        .compose(r -> ask(vertx, Addresses.SM_IDEMPOTENCY, new IdempotencyLookup("key-1")))
        .onComplete(ctx.succeeding(hit -> ctx.verify(() -> {
          IdempotencyHit h = (IdempotencyHit) hit;
          assertEquals("key-1", h.key());
          assertEquals(1, h.outcome().index());
          assertEquals(e1.hash(), h.outcome().hash());
          ctx.completeNow();
        })));
  }

  @Test
  void aThrowingMachine_failsTheApplyWith500_andEverythingAfter(Vertx vertx, VertxTestContext ctx) {
    StateMachine broken = new LoadFixtures.Counter() {
      @Override
      public Applied apply(JsonNode payload) {
        throw new IllegalStateException("disk on fire");
      }
    };
    Future<?>[] waitingRead = new Future<?>[1];
    deploy(vertx, new StateMachineVerticle(broken, 10))
        .compose(id -> {
          waitingRead[0] = ask(vertx, Addresses.SM_READ, new Read("a", 3));
          return apply(vertx, log.next("{}"));
        })
        .recover(e -> {
          ctx.verify(() -> {
            assertEquals(500, ((ReplyException) e).failureCode());
            assertEquals("state machine failed at index 1: java.lang.IllegalStateException: disk on fire", e.getMessage());
          });
          return waitingRead[0].map(r -> (ApplyResults) null);
        })
        .onComplete(ctx.failing(readFailure -> ctx.verify(() -> {
          assertEquals(500, ((ReplyException) readFailure).failureCode(), "the waiting read fails too");
          ask(vertx, Addresses.SM_VALIDATE, new Validate(json("{}")))
              .onComplete(ctx.failing(e -> ctx.verify(() -> {
                assertEquals(500, ((ReplyException) e).failureCode(), "nothing is served after the failure");
                assertTrue(e.getMessage().startsWith("state machine failed at index 1"));
                ctx.completeNow();
              })));
        })));
  }

  @Test
  void aBatchWithAGap_fails500(Vertx vertx, VertxTestContext ctx) {
    log.next("{}");
    deploy(vertx, new StateMachineVerticle(new KvStateMachine(), 10))
        .compose(id -> apply(vertx, log.next("{}")))
        .onComplete(ctx.failing(e -> ctx.verify(() -> {
          assertEquals(500, ((ReplyException) e).failureCode());
          assertTrue(e.getMessage().contains("entry out of order: expected index 1"), e.getMessage());
          ctx.completeNow();
        })));
  }

  @Test
  void configConstructor_loadsTheNamedMachine_andFailsEarlyOnABadName(Vertx vertx, VertxTestContext ctx) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new StateMachineVerticle(withStateMachine("com.example.Missing")));
    assertTrue(e.getMessage().contains("com.example.Missing not found"));

    deploy(vertx, new StateMachineVerticle(withStateMachine("raftsimple.examples.BankStateMachine")))
        .compose(id -> apply(vertx, log.next("{\"op\":\"open\",\"account\":\"alice\"}")))
        .compose(r -> ask(vertx, Addresses.SM_READ, new Read("alice", 1)))
        .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
          assertEquals(new ReadResult("alice", json("{\"balance\":0}"), 1), r);
          ctx.completeNow();
        })));
  }

  private static NodeConfig withStateMachine(String name) {
    NodeConfig d = NodeConfig.defaults();
    return new NodeConfig(d.nodeId(), d.host(), d.port(), d.dataDir(), d.readOnly(), d.peers(), d.join(),
        d.transport(), name, d.headTimeoutMs(), d.tls(), d.eventbus(), d.limits());
  }
}
