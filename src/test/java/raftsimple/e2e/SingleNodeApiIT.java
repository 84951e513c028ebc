package raftsimple.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The whole client API of one real node over real HTTPS (certificates from deploy/gen-certs.sh):
 * every KV op, rejections, reads, the entry status, the log and its chain, the status endpoints,
 * bad input of every kind (which must commit nothing), and idempotency keys. The tests share one
 * node and only ever compare lengths relative to their own start.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SingleNodeApiIT {
  static final int BODY_BYTES_MAX = 65_536;
  static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

  @RegisterExtension static final E2e E2E = new E2e();
  static NodeProcess node;
  static Api api;

  @BeforeAll
  static void startNode() {
    ObjectNode extra = Api.JSON.createObjectNode().put("bodyBytesMax", BODY_BYTES_MAX);
    node = E2E.single(extra);
    api = E2E.api();
  }

  // ---- helpers ----

  static Api.Resp head() throws IOException {
    Api.Resp r = api.get(node.url, "/head");
    assertEquals(200, r.status(), r.toString());
    return r;
  }

  static long length() throws IOException {
    return head().num("length");
  }

  static Api.Resp submit(String payload) throws IOException {
    return api.submit(node.url, payload);
  }

  /** A 201 exactly as CONTRACT has it, at {@code index}; returns the body. */
  static JsonNode assertCommitted(Api.Resp r, long index) {
    assertEquals(201, r.status(), r.toString());
    JsonNode b = r.json();
    assertNotNull(b, r.toString());
    assertEquals(Set.of("txid", "index", "head", "status", "result"), fieldNames(b), r.toString());
    assertTrue(HEX64.matcher(b.get("txid").asText()).matches(), r.toString());
    assertTrue(b.get("index").isIntegralNumber(), r.toString());
    assertEquals(index, b.get("index").longValue(), r.toString());
    assertTrue(HEX64.matcher(b.get("head").asText()).matches(), r.toString());
    assertEquals("committed", b.get("status").asText(), r.toString());
    return b;
  }

  /** An error reply: the status, and a body {@code {"error": "<text>", "code": code, ...}}. */
  static void assertError(Api.Resp r, int status, String code) {
    assertEquals(status, r.status(), r.toString());
    assertNotNull(r.json(), "error body is not JSON: " + r);
    assertTrue(r.json().isObject(), r.toString());
    assertEquals(code, r.str("code"), r.toString());
    JsonNode error = r.json().get("error");
    assertTrue(error != null && error.isTextual() && !error.asText().isBlank(), r.toString());
  }

  static Set<String> fieldNames(JsonNode n) {
    Set<String> names = new HashSet<>();
    n.fieldNames().forEachRemaining(names::add);
    return names;
  }

  static JsonNode json(String s) {
    return Api.tree(s);
  }

  // ---- tests ----

  @Test
  void theVerifierReproducesTheProtocolDocumentsWorkedExample() {
    String txid = LogChain.txid(1700000000000L, "n1",
        "{\"op\":\"put\",\"key\":\"a\",\"value\":1}".getBytes(StandardCharsets.UTF_8));
    assertEquals("2ae22889d027fe65d2ce942b84ee3ea2e9f698e3681170f0e36b408e0db08c6b", txid);
    assertEquals("ea8625fe6379ffadf7f1ac73105b8755d1fee18bafc560eb74a713cd079152d0",
        LogChain.chain(LogChain.ZERO, txid));
  }

  @Test
  void everyKvOperationCommitsWithTheContractsReplyAndRejectionsCommitNothing() throws IOException {
    long base = length();
    List<String> sent = new ArrayList<>();
    List<JsonNode> acks = new ArrayList<>();
    String a = "a-" + UUID.randomUUID();
    String b = "b-" + UUID.randomUUID();
    String l = "l-" + UUID.randomUUID();

    // put: new key, then overwrite
    String p1 = "{\"op\":\"put\",\"key\":\"" + a + "\",\"value\":1}";
    JsonNode r1 = assertCommitted(submit(p1), base + 1);
    assertEquals(json("{\"prev\":null}"), r1.get("result"));
    assertEquals(head().str("head"), r1.get("head").asText(), "the 201's head is the head after it");
    sent.add(p1);
    acks.add(r1);

    Api.Resp status = api.get(node.url, "/entries/" + r1.get("txid").asText());
    assertEquals(200, status.status(), status.toString());
    assertEquals(r1.get("txid").asText(), status.str("txid"));
    assertEquals("committed", status.str("status"));
    assertEquals(base + 1, status.num("index"));
    assertEquals("n1", status.str("origin"));

    String p2 = "{\"op\":\"put\",\"key\":\"" + a + "\",\"value\":{\"x\":[1,2],\"s\":\"é✓\"}}";
    JsonNode r2 = assertCommitted(submit(p2), base + 2);
    assertEquals(json("{\"prev\":1}"), r2.get("result"));
    sent.add(p2);
    acks.add(r2);

    Api.Resp local = api.get(node.url, "/kv/" + a);
    assertEquals(200, local.status(), local.toString());
    assertEquals(Set.of("key", "value", "index"), fieldNames(local.json()));
    assertEquals(a, local.str("key"));
    assertEquals(json("{\"x\":[1,2],\"s\":\"é✓\"}"), local.json().get("value"));
    assertTrue(local.num("index") >= base + 2, local.toString());
    Api.Resp lin = api.get(node.url, "/kv/" + a + "?consistency=linearizable");
    assertEquals(200, lin.status(), lin.toString());
    assertEquals(local.json().get("value"), lin.json().get("value"));
    assertTrue(lin.num("index") >= base + 2, lin.toString());

    // cas: matching (objects compare by value), mismatching, expect-absent
    String p3 = "{\"op\":\"cas\",\"key\":\"" + a + "\",\"expect\":{\"s\":\"é✓\",\"x\":[1,2]},\"value\":3}";
    JsonNode r3 = assertCommitted(submit(p3), base + 3);
    assertEquals(json("{\"ok\":true}"), r3.get("result"));
    sent.add(p3);
    acks.add(r3);
    assertError(submit("{\"op\":\"cas\",\"key\":\"" + a + "\",\"expect\":99,\"value\":4}"), 409, "REJECTED");
    String p4 = "{\"op\":\"cas\",\"key\":\"" + b + "\",\"expect\":null,\"value\":\"new\"}";
    JsonNode r4 = assertCommitted(submit(p4), base + 4);
    assertEquals(json("{\"ok\":true}"), r4.get("result"));
    sent.add(p4);
    acks.add(r4);
    assertError(submit("{\"op\":\"cas\",\"key\":\"" + b + "\",\"expect\":null,\"value\":\"again\"}"), 409, "REJECTED");

    // delete, then the key is gone; deleting an absent key is not an error
    String p5 = "{\"op\":\"delete\",\"key\":\"" + a + "\"}";
    JsonNode r5 = assertCommitted(submit(p5), base + 5);
    assertEquals(json("{\"prev\":3}"), r5.get("result"));
    sent.add(p5);
    acks.add(r5);
    assertError(api.get(node.url, "/kv/" + a), 404, "NOT_FOUND");
    assertError(api.get(node.url, "/kv/" + a + "?consistency=linearizable"), 404, "NOT_FOUND");

    // append builds a list and answers the whole list; appending to a non-list is rejected
    String p6 = "{\"op\":\"append\",\"key\":\"" + l + "\",\"value\":\"x\"}";
    JsonNode r6 = assertCommitted(submit(p6), base + 6);
    assertEquals(json("{\"list\":[\"x\"]}"), r6.get("result"));
    String p7 = "{\"op\":\"append\",\"key\":\"" + l + "\",\"value\":{\"y\":null}}";
    JsonNode r7 = assertCommitted(submit(p7), base + 7);
    assertEquals(json("{\"list\":[\"x\",{\"y\":null}]}"), r7.get("result"));
    sent.add(p6);
    acks.add(r6);
    sent.add(p7);
    acks.add(r7);
    assertError(submit("{\"op\":\"append\",\"key\":\"" + b + "\",\"value\":1}"), 409, "REJECTED");

    // malformed ops are rejections too
    assertError(submit("{\"op\":\"put\",\"key\":\"" + b + "\"}"), 409, "REJECTED");
    assertError(submit("{\"op\":\"delete\"}"), 409, "REJECTED");
    assertError(submit("{\"op\":\"cas\",\"key\":\"" + b + "\",\"value\":1}"), 409, "REJECTED");

    assertEquals(base + 7, length(), "the rejections committed nothing");

    // the log holds exactly what was acknowledged, payloads byte for byte as sent (compact JSON)
    List<LogChain.Row> rows = LogChain.fetch(api, node.url);
    LogChain.verify(rows);
    for (int i = 0; i < acks.size(); i++) {
      JsonNode ack = acks.get(i);
      LogChain.Row row = rows.get((int) ack.get("index").longValue() - 1);
      assertEquals(ack.get("txid").asText(), row.txid());
      assertEquals(ack.get("head").asText(), row.hash());
      assertEquals("n1", row.origin());
      assertEquals(sent.get(i), row.payloadText());
    }
  }

  @Test
  void badInputGetsTheContractsErrorBodiesAndCommitsNothing() throws IOException {
    Api.Resp before = head();
    String longKey = "k".repeat(1025);
    // not one acceptable JSON value: 400 BAD_REQUEST
    assertError(submit("{\"op\":"), 400, "BAD_REQUEST");
    assertError(submit(""), 400, "BAD_REQUEST");
    assertError(submit("{\"op\":\"put\",\"key\":\"a\",\"value\":1} {}"), 400, "BAD_REQUEST");
    assertError(submit("{\"op\":\"put\",\"key\":\"a\",\"key\":\"b\",\"value\":1}"), 400, "BAD_REQUEST");
    assertError(submit("{\"$raftsimple\":{\"op\":\"add\"}}"), 400, "BAD_REQUEST");
    assertError(api.post(node.url, "/entries", new byte[] {'{', '"', (byte) 0xff, '"', ':', '1', '}'}),
        400, "BAD_REQUEST");
    // well-formed JSON the KV machine refuses: 409 REJECTED
    assertError(submit("{\"op\":\"put\",\"key\":5,\"value\":1}"), 409, "REJECTED");
    assertError(submit("{\"op\":7,\"key\":\"a\",\"value\":1}"), 409, "REJECTED");
    assertError(submit("{\"op\":\"put\",\"key\":\"a\",\"value\":null}"), 409, "REJECTED");
    assertError(submit("[1,2]"), 409, "REJECTED");
    assertError(submit("\"text\""), 409, "REJECTED");
    assertError(submit("{\"op\":\"increment\",\"key\":\"a\"}"), 409, "REJECTED");
    assertError(submit("{\"op\":\"put\",\"key\":\"" + longKey + "\",\"value\":1}"), 409, "REJECTED");
    assertError(submit("{\"op\":\"put\",\"key\":\"\",\"value\":1}"), 409, "REJECTED");
    // too large
    String huge = "{\"op\":\"put\",\"key\":\"h\",\"value\":\"" + "x".repeat(BODY_BYTES_MAX + 10) + "\"}";
    assertError(submit(huge), 413, "TOO_LARGE");
    // bad Idempotency-Key headers
    String put = "{\"op\":\"put\",\"key\":\"idem-bad\",\"value\":1}";
    assertError(api.submit(node.url, put, "x".repeat(257)), 400, "BAD_REQUEST");
    assertError(api.submit(node.url, put, ""), 400, "BAD_REQUEST");
    assertError(api.post(node.url, "/entries", put, "Idempotency-Key", "one", "Idempotency-Key", "two"),
        400, "BAD_REQUEST");
    // bad reads
    assertError(api.get(node.url, "/entries/XYZ"), 400, "BAD_REQUEST");
    assertError(api.get(node.url, "/entries/" + "A".repeat(64)), 400, "BAD_REQUEST");
    assertError(api.get(node.url, "/entries/" + "ab".repeat(31)), 400, "BAD_REQUEST");
    assertError(api.get(node.url, "/entries/" + "0".repeat(64)), 404, "NOT_FOUND");
    assertError(api.get(node.url, "/kv/" + longKey), 400, "BAD_REQUEST");
    assertError(api.get(node.url, "/kv/a?consistency=eventual"), 400, "BAD_REQUEST");
    assertError(api.get(node.url, "/kv/never-written-" + UUID.randomUUID()), 404, "NOT_FOUND");
    assertError(api.get(node.url, "/log?limit=0"), 400, "BAD_REQUEST");
    assertError(api.get(node.url, "/log?limit=1001"), 400, "BAD_REQUEST");
    assertError(api.get(node.url, "/log?from=0"), 400, "BAD_REQUEST");
    assertError(api.get(node.url, "/log?from=one"), 400, "BAD_REQUEST");
    assertError(api.get(node.url, "/no/such/thing"), 404, "NOT_FOUND");

    Api.Resp after = head();
    assertEquals(before.num("length"), after.num("length"), "bad input committed something");
    assertEquals(before.str("head"), after.str("head"));
  }

  @Test
  void anIdempotencyKeyCommitsOnceAndReturnsTheOriginalOutcome() throws Exception {
    long base = length();
    String key = "idem-" + UUID.randomUUID();
    String body = "{\"op\":\"put\",\"key\":\"" + key + "\",\"value\":\"v1\"}";
    Api.Resp first = api.submit(node.url, body, key);
    JsonNode ack = assertCommitted(first, base + 1);

    // the same key and body: the original outcome, nothing new in the log (also after other writes)
    Api.Resp again = api.submit(node.url, body, key);
    assertEquals(201, again.status(), again.toString());
    assertEquals(ack, again.json());
    assertCommitted(submit("{\"op\":\"put\",\"key\":\"other-" + key + "\",\"value\":1}"), base + 2);
    String sameJsonOtherSpacing = "{ \"op\" : \"put\", \"key\" : \"" + key + "\", \"value\" : \"v1\" }";
    Api.Resp spaced = api.submit(node.url, sameJsonOtherSpacing, key);
    assertEquals(201, spaced.status(), spaced.toString());
    assertEquals(ack, spaced.json(), "the body is compared as JSON, not as text");
    assertEquals(base + 2, length());

    // the same key with another body: 422, nothing committed, the value unchanged
    Api.Resp other = api.submit(node.url, "{\"op\":\"put\",\"key\":\"" + key + "\",\"value\":\"v2\"}", key);
    assertEquals(422, other.status(), other.toString());
    assertError(other, 422, other.str("code"));
    assertEquals(base + 2, length());
    assertEquals(json("\"v1\""), api.get(node.url, "/kv/" + key).json().get("value"));

    LogChain.Row row = LogChain.fetch(api, node.url).get((int) base);
    assertEquals(ack.get("txid").asText(), row.txid());
    assertEquals(key, row.idempotencyKey());

    // concurrent requests with one fresh key: one entry, every answer the same
    String key2 = "idem-" + UUID.randomUUID();
    String body2 = "{\"op\":\"append\",\"key\":\"" + key2 + "\",\"value\":1}";
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Callable<Api.Resp>> calls = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        calls.add(() -> api.submit(node.url, body2, key2));
      }
      List<JsonNode> answers = new ArrayList<>();
      for (Future<Api.Resp> f : pool.invokeAll(calls)) {
        Api.Resp r = f.get();
        assertEquals(201, r.status(), r.toString());
        answers.add(r.json());
      }
      assertTrue(answers.stream().distinct().count() == 1, "different answers: " + answers);
      assertEquals(base + 3, answers.get(0).get("index").longValue());
      assertEquals(json("{\"list\":[1]}"), answers.get(0).get("result"));
    } finally {
      pool.shutdownNow();
    }
    assertEquals(base + 3, length());
  }

  @Test
  void theLogPagesAndItsChainVerifiesAgainstTheHead() throws IOException {
    for (int i = 0; i < 25; i++) {
      assertEquals(201, submit("{\"op\":\"put\",\"key\":\"page-" + i + "\",\"value\":" + i + "}").status());
    }
    Api.Resp h = head();
    long len = h.num("length");
    List<LogChain.Row> all = LogChain.fetch(api, node.url, 1000);
    assertEquals(len, all.size());
    assertEquals(h.str("head"), LogChain.verify(all), "the recomputed chain ends at /head");
    assertEquals(all, LogChain.fetch(api, node.url, 7), "paging by 7 gives the same log");

    LogChain.Page middle = LogChain.parse(api.get(node.url, "/log?from=3&limit=2").bytes());
    assertEquals(List.of(all.get(2), all.get(3)), middle.entries());
    assertEquals(len, middle.length());
    assertEquals(h.str("head"), middle.head());
    LogChain.Page dflt = LogChain.parse(api.get(node.url, "/log").bytes());
    assertEquals(all.subList(0, (int) Math.min(100, len)), dflt.entries());
    LogChain.Page past = LogChain.parse(api.get(node.url, "/log?from=" + (len + 1)).bytes());
    assertTrue(past.entries().isEmpty());
    assertEquals(len, past.length());
  }

  /** Last: if this fails, the entry it wrote would fail every later chain check on this node. */
  @Test
  @Order(Integer.MAX_VALUE)
  void theLogPrintsEachPayloadExactlyAsItWasHashed() throws IOException {
    // Numbers whose text a generic JSON (re)serialisation changes: trailing zeros, exponents,
    // more digits than a double holds. The txid covers the canonical bytes; /log must print them.
    String value = "[1.10,1e2,0.1000000000000000055511151231257827,12345678901234567890123,-0.0]";
    String payload = "{\"op\":\"put\",\"key\":\"decimals\",\"value\":" + value + "}";
    long base = length();
    JsonNode ack = assertCommitted(submit(payload), base + 1);
    List<LogChain.Row> rows = LogChain.fetch(api, node.url);
    LogChain.Row row = rows.get((int) ack.get("index").longValue() - 1);
    assertEquals(ack.get("txid").asText(), row.txid());
    assertEquals(json(payload), json(row.payloadText()), "the payload as printed by /log: " + row.payloadText());
    assertEquals(LogChain.txid(row.ts(), row.origin(), row.payload()), row.txid(),
        "the txid is not SHA-256 of the payload /log prints: " + row.payloadText());
    LogChain.verify(rows);
    assertEquals(json(value), api.get(node.url, "/kv/decimals").json().get("value"));
  }

  @Test
  void statusEndpointsDescribeTheNode() throws IOException {
    Api.Resp health = api.get(node.url, "/health");
    assertEquals(200, health.status(), health.toString());
    Api.Resp ready = api.get(node.url, "/ready");
    assertEquals(200, ready.status(), ready.toString());
    assertTrue(ready.json().get("ready").asBoolean(), ready.toString());

    long base = length();
    assertCommitted(submit("{\"op\":\"put\",\"key\":\"status\",\"value\":true}"), base + 1);
    Api.Resp h = head();
    assertEquals(Set.of("head", "length", "nodeId"), fieldNames(h.json()));
    assertEquals("n1", h.str("nodeId"));
    assertTrue(HEX64.matcher(h.str("head")).matches(), h.toString());
    assertEquals(h.str("head"), LogChain.verify(LogChain.fetch(api, node.url)));

    Api.Resp cluster = api.get(node.url, "/cluster");
    assertEquals(200, cluster.status(), cluster.toString());
    assertEquals("n1", cluster.str("nodeId"));
    JsonNode members = cluster.json().get("members");
    assertEquals(1, members.size(), cluster.toString());
    JsonNode me = members.get(0);
    assertEquals("n1", me.get("id").asText());
    assertEquals(node.url.toString(), me.get("url").asText());
    assertEquals("voter", me.get("role").asText());
    assertEquals(h.str("head"), me.get("head").asText());
    assertEquals(h.num("length"), me.get("length").asLong());

    // metrics: Prometheus text with the committed-entries counter and the client request counter,
    // which counts exactly the requests answered
    Api.Resp m1 = api.get(node.url, "/metrics");
    assertEquals(200, m1.status());
    assertTrue(m1.text().contains("raftsimple_entries_committed"), "no raftsimple_entries_committed");
    assertTrue(Cluster.metric(m1.text(), "raftsimple_entries_committed_total") >= h.num("length"),
        "entries committed < length");
    String created = "raftsimple_client_requests_total{route=\"/entries\",status=\"201\"}";
    String refused = "raftsimple_client_requests_total{route=\"/entries\",status=\"400\"}";
    double created1 = labelled(m1.text(), created);
    double refused1 = labelled(m1.text(), refused);
    assertCommitted(submit("{\"op\":\"put\",\"key\":\"status\",\"value\":false}"), h.num("length") + 1);
    assertError(submit("nope"), 400, "BAD_REQUEST");
    String m2 = api.get(node.url, "/metrics").text();
    assertEquals(created1 + 1, labelled(m2, created), created);
    assertEquals(refused1 + 1, labelled(m2, refused), refused);
    assertFalse(m2.contains("status=\"500\""), "a 500 was counted:\n" + m2);
  }

  /** A labelled series' value (0 when absent); the label order is as the registry prints it. */
  static double labelled(String metrics, String series) {
    for (Iterator<String> it = metrics.lines().iterator(); it.hasNext(); ) {
      String line = it.next();
      if (line.startsWith(series + " ")) {
        return Double.parseDouble(line.substring(series.length() + 1).trim());
      }
    }
    return 0;
  }
}
