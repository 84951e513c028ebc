package raftsimple.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * CONTRACT: "a retry with the same key and body never commits the entry twice" (docs/PROTOCOL.md
 * §10), with real processes and the first attempt's origin cut off through {@link TcpProxy}s, in
 * exactly the sequence a client that retries goes through: the first attempt times out (503), the
 * retry on the same node joins the entry still in flight there (503 again, the same txid, one
 * entry), the retry on another node commits (the first attempt's fate is unknown there). Once the
 * origin is back its entry commits too, and every node records it as a duplicate of the retry's and
 * never applies it: the state holds the request once, {@code GET /log} marks the second copy
 * {@code "duplicateOf"}, and a further retry on the origin gets the retry's outcome.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class IdempotentRetryIT {
  /** The origin's request timeout: how soon its 503s come. */
  static final int ORIGIN_REQUEST_TIMEOUT_MS = 2000;
  static final Duration CONVERGE = Duration.ofSeconds(60);

  @RegisterExtension final E2e e2e = new E2e();

  @Test
  void aRetryJoinsItsEntryOnTheSameNode_andReachesTheLogTwiceOnlyAsAMarkedDuplicate() throws IOException {
    Cluster c = e2e.clusterPerNode(3, true, k -> k == 1
        ? Api.JSON.createObjectNode().put("requestTimeoutMs", ORIGIN_REQUEST_TIMEOUT_MS) : null);
    Api api = e2e.api();
    NodeProcess origin = c.node(1);
    NodeProcess other = c.node(2);
    String key = "order-42";
    String body = "{\"op\":\"append\",\"key\":\"orders\",\"value\":\"order-42\"}";
    Api.Resp warm = api.submit(origin.url, "{\"op\":\"put\",\"key\":\"warm\",\"value\":1}");
    assertEquals(201, warm.status(), warm.toString());

    c.isolate(1);
    // 1. The first attempt: no quorum, 503 with the txid it was given.
    Api.Resp first = api.submit(origin.url, body, key);
    assertEquals(503, first.status(), first + "\n" + c.describe());
    assertEquals("UNAVAILABLE", first.str("code"), first.toString());
    String t1 = first.str("txid");
    assertTrue(t1 != null && t1.length() == 64, "the 503 names the entry's txid: " + first);

    // 2. The retry on the same node joins that entry: 503 again, the same txid, still one entry.
    Api.Resp sameNode = api.submit(origin.url, body, key);
    assertEquals(503, sameNode.status(), sameNode.toString());
    assertEquals(t1, sameNode.str("txid"), "the retry on the origin waited for the first attempt's entry");
    assertEquals(1.0, c.gauge(origin, "raftsimple_queued_entries"), "one entry in flight on the origin, not two");
    assertEquals(1.0, c.gauge(origin, "raftsimple_pending_idempotency_keys"));

    // 3. The retry on another node: the first attempt's fate is unknown there, so it is a new entry.
    Api.Resp otherNode = api.submit(other.url, body, key);
    assertEquals(201, otherNode.status(), otherNode.toString());
    String t2 = otherNode.str("txid");
    long i2 = otherNode.num("index");
    assertNotEquals(t1, t2);

    // 4. The origin is back: its entry commits after the retry's, as a duplicate of it.
    c.healAll();
    Api.Resp late = Await.until("the origin's entry " + t1.substring(0, 12) + " to commit", CONVERGE,
        () -> api.get(origin.url, "/entries/" + t1), r -> r.status() == 200 && "committed".equals(r.str("status")));
    long i1 = late.num("index");
    assertTrue(i1 > i2, "the origin's entry at " + i1 + " comes after the retry's at " + i2);
    assertEquals(i2, late.num("duplicateOf"), late.toString());
    Api.Resp again = api.submit(origin.url, body, key);
    assertEquals(201, again.status(), again.toString());
    assertEquals(t2, again.str("txid"), "a later retry gets the original outcome: " + again);
    assertEquals(i2, again.num("index"));

    // Every node holds the same verified log, marks the same copy, and applied the request once.
    c.awaitConverged(CONVERGE);
    List<LogChain.Row> log = Checks.sameVerifiedLog(api, c);
    LogChain.Row kept = log.get((int) i2 - 1);
    LogChain.Row duplicate = log.get((int) i1 - 1);
    assertEquals(t2, kept.txid());
    assertNull(kept.duplicateOf(), kept.toString());
    assertEquals(t1, duplicate.txid());
    assertEquals(i2, duplicate.duplicateOf(), duplicate.toString());
    assertEquals(key, duplicate.idempotencyKey());
    assertEquals(1, log.stream().filter(r -> r.payloadText().equals(body) && r.duplicateOf() == null).count(),
        "one unmarked copy: " + log);
    Checks.noPayloadTwice(log);
    for (NodeProcess n : c.nodes) {
      Api.Resp orders = api.get(n.url, "/kv/orders?consistency=linearizable");
      assertEquals(200, orders.status(), n.id + " " + orders);
      assertEquals("[\"order-42\"]", orders.json().get("value").toString(), n.id + " applied it once: " + orders);
      Api.Resp status = api.get(n.url, "/entries/" + t1);
      assertEquals(i2, status.num("duplicateOf"), n.id + " " + status);
      assertEquals(0.0, c.gauge(n, "raftsimple_pending_idempotency_keys"), n.id);
    }
  }
}
