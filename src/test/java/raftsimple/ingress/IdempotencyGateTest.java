package raftsimple.ingress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import raftsimple.chain.Hash;

class IdempotencyGateTest {
  static final Hash BODY = IngressFixture.hash("body");
  static final Hash OTHER = IngressFixture.hash("other");

  @Test
  void sameKeySameBody_sharesTheFirstReply() {
    IdempotencyGate gate = new IdempotencyGate(10);
    Promise<Reply> first = Promise.promise();
    AtomicInteger runs = new AtomicInteger();
    Future<Reply> a = gate.run("k", BODY, () -> {
      runs.incrementAndGet();
      return first.future();
    });
    Future<Reply> b = gate.run("k", BODY, () -> {
      runs.incrementAndGet();
      return Future.succeededFuture(Reply.empty(204));
    });
    assertEquals(1, runs.get());
    assertFalse(b.isComplete());
    Reply reply = Reply.empty(201);
    first.complete(reply);
    assertSame(reply, a.result());
    assertSame(reply, b.result());
    assertEquals(0, gate.size());
  }

  @Test
  void sameKeyOtherBody_isRefusedWhileInFlight() {
    IdempotencyGate gate = new IdempotencyGate(10);
    Promise<Reply> first = Promise.promise();
    gate.run("k", BODY, first::future);
    Future<Reply> b = gate.run("k", OTHER, () -> Future.succeededFuture(Reply.empty(201)));
    assertEquals(422, b.result().status());
    assertEquals("IDEMPOTENCY_KEY_REUSED", b.result().body().get("code").asText());
  }

  @Test
  void aFinishedKey_leavesTheGate() {
    IdempotencyGate gate = new IdempotencyGate(10);
    Promise<Reply> first = Promise.promise();
    gate.run("k", BODY, first::future);
    assertEquals(1, gate.size());
    first.fail(new RuntimeException("boom"));
    assertEquals(0, gate.size());
    AtomicInteger runs = new AtomicInteger();
    gate.run("k", OTHER, () -> {
      runs.incrementAndGet();
      return Future.succeededFuture(Reply.empty(201));
    });
    assertEquals(1, runs.get());
    assertEquals(0, gate.size(), "an already complete reply leaves at once");
  }

  @Test
  void fullGate_refusesNewKeysWith503() {
    IdempotencyGate gate = new IdempotencyGate(1);
    gate.run("a", BODY, () -> Promise.<Reply>promise().future());
    Future<Reply> b = gate.run("b", BODY, () -> Future.succeededFuture(Reply.empty(201)));
    assertEquals(503, b.result().status());
    assertEquals("OVERLOADED", b.result().body().get("code").asText());
    assertTrue(gate.run("a", BODY, () -> Future.succeededFuture(Reply.empty(201))) != null);
    assertThrows(IllegalArgumentException.class, () -> new IdempotencyGate(0));
  }
}
