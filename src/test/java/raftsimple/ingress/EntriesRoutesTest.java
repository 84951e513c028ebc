package raftsimple.ingress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftsimple.ingress.IngressFixture.committed;
import static raftsimple.ingress.IngressFixture.hash;
import static raftsimple.ingress.IngressFixture.json;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import raftsimple.bus.Addresses;
import raftsimple.bus.BusApi.Submit;
import raftsimple.bus.BusApi.SubmitOutcome;
import raftsimple.bus.BusApi.Validate;
import raftsimple.chain.Hash;
import raftsimple.config.NodeConfig;
import raftsimple.statemachine.Verdict;

@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class EntriesRoutesTest {
  static final Hash TXID = hash("tx");
  static final Hash HEAD = hash("head");

  static void assertError(HttpResponse<Buffer> r, int status, String code) {
    assertEquals(status, r.statusCode(), () -> "body: " + r.bodyAsString());
    assertEquals("application/json", r.getHeader("Content-Type"));
    JsonObject body = r.bodyAsJsonObject();
    assertEquals(code, body.getString("code"), body::encode);
    assertTrue(body.getValue("error") instanceof String && !body.getString("error").isEmpty(), body::encode);
  }

  @Test
  void commit_answers201WithTxidIndexHeadAndResult(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    AtomicReference<Object> validated = new AtomicReference<>();
    f.answer(Addresses.SM_VALIDATE, body -> {
      validated.set(body);
      return Verdict.accept();
    });
    AtomicReference<Submit> submitted = new AtomicReference<>();
    f.answer(Addresses.LOG_SUBMIT, body -> {
      submitted.set((Submit) body);
      return committed(TXID, 7, HEAD, json("{\"prev\":null}"));
    });
    long before = System.currentTimeMillis();
    f.start().compose(x -> f.post("/entries", " {\"op\": \"put\", \"key\":\"k\",\n \"value\": 1.50 } "))
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertEquals(201, r.statusCode(), r.bodyAsString());
          assertEquals("application/json", r.getHeader("Content-Type"));
          assertEquals(new JsonObject()
              .put("txid", TXID.hex()).put("index", 7).put("head", HEAD.hex())
              .put("status", "committed").put("result", new JsonObject().putNull("prev")),
              r.bodyAsJsonObject());
          // The canonical payload is the compact form of the parsed tree, numbers as written.
          Submit s = submitted.get();
          assertEquals("{\"op\":\"put\",\"key\":\"k\",\"value\":1.50}",
              new String(s.payload(), StandardCharsets.UTF_8));
          assertNull(s.idempotencyKey());
          assertTrue(s.wallMs() >= before && s.wallMs() <= System.currentTimeMillis());
          assertEquals("put", ((Validate) validated.get()).payload().path("op").asText());
          tc.completeNow();
        })));
  }

  @Test
  void committedWithoutResult_answersResultNull(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    f.acceptAll();
    f.answer(Addresses.LOG_SUBMIT, body -> committed(TXID, 1, HEAD, null));
    f.start().compose(x -> f.post("/entries", "42"))
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertEquals(201, r.statusCode());
          assertTrue(r.bodyAsJsonObject().containsKey("result"));
          assertNull(r.bodyAsJsonObject().getValue("result"));
          tc.completeNow();
        })));
  }

  @Test
  void validationRejection_answers409WithoutSubmitting(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    f.answer(Addresses.SM_VALIDATE, body -> Verdict.reject("key must be a string"));
    AtomicInteger submits = f.answer(Addresses.LOG_SUBMIT, body -> committed(TXID, 1, HEAD, null));
    f.start().compose(x -> f.post("/entries", "{\"op\":\"put\",\"key\":1}"))
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertError(r, 409, "REJECTED");
          assertEquals(new JsonObject().put("error", "key must be a string").put("code", "REJECTED"),
              r.bodyAsJsonObject());
          assertEquals(0, submits.get());
          tc.completeNow();
        })));
  }

  @Test
  void applyRejection_answers409WithTxidAndIndex(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    f.acceptAll();
    f.answer(Addresses.LOG_SUBMIT, body -> new SubmitOutcome(
        SubmitOutcome.Kind.REJECTED, TXID, 9, HEAD, null, "REJECTED", "current value != expect"));
    f.start().compose(x -> f.post("/entries", "{\"op\":\"cas\",\"key\":\"k\",\"expect\":1,\"value\":2}"))
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertError(r, 409, "REJECTED");
          assertEquals(new JsonObject().put("error", "current value != expect").put("code", "REJECTED")
              .put("txid", TXID.hex()).put("index", 9), r.bodyAsJsonObject());
          tc.completeNow();
        })));
  }

  @Test
  void unavailableOutcome_answers503WithTxid(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    f.acceptAll();
    f.answer(Addresses.LOG_SUBMIT, body -> new SubmitOutcome(
        SubmitOutcome.Kind.UNAVAILABLE, TXID, 0, null, null, "UNAVAILABLE", "no quorum in time"));
    f.start().compose(x -> f.post("/entries", "{}"))
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertError(r, 503, "UNAVAILABLE");
          assertEquals(new JsonObject().put("error", "no quorum in time").put("code", "UNAVAILABLE")
              .put("txid", TXID.hex()), r.bodyAsJsonObject());
          tc.completeNow();
        })));
  }

  @Test
  void overloadedRefusal_answers503Overloaded(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    f.acceptAll();
    f.answer(Addresses.LOG_SUBMIT, body -> new SubmitOutcome(
        SubmitOutcome.Kind.REFUSED, null, 0, null, null, "OVERLOADED", "too many pending entries"));
    f.start().compose(x -> f.post("/entries", "{}"))
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertError(r, 503, "OVERLOADED");
          assertFalse(r.bodyAsJsonObject().containsKey("txid"));
          tc.completeNow();
        })));
  }

  @Test
  void logThatNeverAnswers_answers503AfterTheRequestTimeout(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx, IngressFixture.config(false, 100, 1 << 20, List.of()));
    f.acceptAll();
    f.handle(Addresses.LOG_SUBMIT, m -> { /* holds the request forever */ });
    f.start().compose(x -> f.post("/entries", "{}"))
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertError(r, 503, "UNAVAILABLE");
          assertFalse(r.bodyAsString().contains("raftsimple."), "no bus address leaks: " + r.bodyAsString());
          tc.completeNow();
        })));
  }

  @Test
  void noStateMachine_answers503(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    f.start().compose(x -> f.post("/entries", "{}"))
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertError(r, 503, "UNAVAILABLE");
          tc.completeNow();
        })));
  }

  @Test
  void wrongReplyType_answers500WithoutDetail(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    f.answer(Addresses.SM_VALIDATE, body -> "yes");
    f.start().compose(x -> f.post("/entries", "{}"))
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertError(r, 500, "INTERNAL");
          assertFalse(r.bodyAsString().contains("Exception"), r.bodyAsString());
          tc.completeNow();
        })));
  }

  @Test
  void readOnlyNode_answers403WithTheVotersUrls(Vertx vertx, VertxTestContext tc) {
    NodeConfig c = IngressFixture.config(true, 2_000, 1 << 20,
        List.of(new NodeConfig.Peer("n2", "https://h2:1"), new NodeConfig.Peer("n3", "https://h3:1")));
    IngressFixture f = new IngressFixture(vertx, c);
    AtomicInteger submits = f.answer(Addresses.LOG_SUBMIT, body -> committed(TXID, 1, HEAD, null));
    f.answer(Addresses.LOG_QUERY, q -> json("{\"nodeId\":\"n1\",\"members\":["
        + "{\"id\":\"n1\",\"url\":\"https://h1:1\",\"role\":\"read-only\"},"
        + "{\"id\":\"n2\",\"url\":\"https://h2:1\",\"role\":\"voter\"},"
        + "{\"id\":\"n4\",\"url\":\"https://h4:1\",\"role\":\"voter\"}]}"));
    f.start().compose(x -> f.post("/entries", "{}"))
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertError(r, 403, "READ_ONLY");
          assertEquals(new JsonArray().add("https://h2:1").add("https://h4:1"),
              r.bodyAsJsonObject().getJsonArray("writable"));
          assertEquals(0, submits.get());
          tc.completeNow();
        })));
  }

  @Test
  void readOnlyNodeWithoutLogAnswer_listsTheConfiguredPeers(Vertx vertx, VertxTestContext tc) {
    NodeConfig c = IngressFixture.config(true, 2_000, 1 << 20,
        List.of(new NodeConfig.Peer("n2", "https://h2:1"), new NodeConfig.Peer("n3", "https://h3:1")));
    IngressFixture f = new IngressFixture(vertx, c);
    f.start().compose(x -> f.post("/entries", "{}"))
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertError(r, 403, "READ_ONLY");
          assertEquals(new JsonArray().add("https://h2:1").add("https://h3:1"),
              r.bodyAsJsonObject().getJsonArray("writable"));
          tc.completeNow();
        })));
  }

  @Test
  void readOnlyRefusalFromTheLog_answers403(Vertx vertx, VertxTestContext tc) {
    NodeConfig c = IngressFixture.config(false, 2_000, 1 << 20, List.of(new NodeConfig.Peer("n2", "https://h2:1")));
    IngressFixture f = new IngressFixture(vertx, c);
    f.acceptAll();
    f.answer(Addresses.LOG_SUBMIT, body -> new SubmitOutcome(
        SubmitOutcome.Kind.REFUSED, null, 0, null, null, "READ_ONLY", "this node is read-only"));
    f.start().compose(x -> f.post("/entries", "{}"))
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertError(r, 403, "READ_ONLY");
          assertEquals(new JsonArray().add("https://h2:1"), r.bodyAsJsonObject().getJsonArray("writable"));
          tc.completeNow();
        })));
  }

  /**
   * A node that was removed from the cluster (the core refuses with its internal code REMOVED):
   * CONTRACT's 503 UNAVAILABLE, marked removed, with the voters to write to instead.
   */
  @Test
  void removedNode_answers503UnavailableMarkedRemovedWithTheVotersUrls(Vertx vertx, VertxTestContext tc) {
    NodeConfig c = IngressFixture.config(false, 2_000, 1 << 20, List.of(new NodeConfig.Peer("n2", "https://h2:1")));
    IngressFixture f = new IngressFixture(vertx, c);
    f.acceptAll();
    f.answer(Addresses.LOG_SUBMIT, body -> new SubmitOutcome(
        SubmitOutcome.Kind.REFUSED, null, 0, null, null, "REMOVED", "this node is not a member of the cluster"));
    f.answer(Addresses.LOG_MEMBERSHIP, body -> new SubmitOutcome(
        SubmitOutcome.Kind.REFUSED, null, 0, null, null, "REMOVED", "this node is not a member of the cluster"));
    f.answer(Addresses.LOG_QUERY, q -> json("{\"nodeId\":\"n1\",\"members\":["
        + "{\"id\":\"n2\",\"url\":\"https://h2:1\",\"role\":\"voter\"},"
        + "{\"id\":\"n3\",\"url\":\"https://h3:1\",\"role\":\"voter\"},"
        + "{\"id\":\"n4\",\"url\":\"https://h4:1\",\"role\":\"read-only\"},"
        + "{\"id\":\"n1\",\"url\":\"https://h1:1\",\"role\":\"removed\",\"self\":true}]}"));
    f.start().compose(x -> f.post("/entries", "{}"))
        .compose(r1 -> f.client.delete("/cluster/members/n3").send().map(r2 -> List.of(r1, r2)))
        .onComplete(tc.succeeding(rs -> tc.verify(() -> {
          for (HttpResponse<Buffer> r : rs) {
            assertError(r, 503, "UNAVAILABLE");
            JsonObject body = r.bodyAsJsonObject();
            assertEquals(Boolean.TRUE, body.getBoolean("removed"), body::encode);
            assertEquals("this node is not a member of the cluster", body.getString("error"));
            assertEquals(new JsonArray().add("https://h2:1").add("https://h3:1"), body.getJsonArray("writable"));
          }
          tc.completeNow();
        })));
  }

  @Test
  void malformedBodies_answer400NamingTheProblem(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    AtomicInteger validations = f.acceptAll();
    List<String> bodies = List.of("{\"a\":", "{\"a\":1} x", "{\"a\":1}{}", "", "   ", "nope",
        "{\"a\":1,\"a\":2}", "{\"$raftsimple\":{\"op\":\"add\"}}");
    checkAll(f, bodies, 0, tc, r -> assertError(r, 400, "BAD_REQUEST"),
        () -> assertEquals(0, validations.get()));
  }

  @Test
  void parseErrors_sayWhatIsWrong(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    f.start()
        .compose(x -> f.post("/entries", "{\"a\":1} trailing"))
        .compose(r1 -> f.post("/entries", "").map(r2 -> List.of(r1, r2)))
        .compose(rs -> f.post("/entries", "{\"$raftsimple\":1}").map(r3 -> List.of(rs.get(0), rs.get(1), r3)))
        .onComplete(tc.succeeding(rs -> tc.verify(() -> {
          assertTrue(rs.get(0).bodyAsJsonObject().getString("error").contains("not JSON"),
              rs.get(0).bodyAsString());
          assertTrue(rs.get(1).bodyAsJsonObject().getString("error").contains("empty"), rs.get(1).bodyAsString());
          assertTrue(rs.get(2).bodyAsJsonObject().getString("error").contains("$raftsimple"),
              rs.get(2).bodyAsString());
          tc.completeNow();
        })));
  }

  @Test
  void systemFieldBelowTheTopLevel_isAnOrdinaryPayload(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    f.acceptAll();
    f.answer(Addresses.LOG_SUBMIT, body -> committed(TXID, 1, HEAD, null));
    f.start().compose(x -> f.post("/entries", "{\"op\":\"put\",\"key\":\"k\",\"value\":{\"$raftsimple\":1}}"))
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertEquals(201, r.statusCode());
          tc.completeNow();
        })));
  }

  @Test
  void badIdempotencyKeys_answer400(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    AtomicInteger validations = f.acceptAll();
    List<String> keys = List.of("x".repeat(257), "tab\there", "caf\u00e9");
    checkAll(f, keys, 1, tc, r -> assertError(r, 400, "BAD_REQUEST"),
        () -> assertEquals(0, validations.get()));
  }

  @Test
  void bodyOverTheLimit_answers413WithTheContractBody(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx, IngressFixture.config(false, 2_000, 64, List.of()));
    AtomicInteger validations = f.acceptAll();
    String big = "{\"value\":\"" + "x".repeat(100) + "\"}";
    f.start().compose(x -> f.post("/entries", big))
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertError(r, 413, "TOO_LARGE");
          assertTrue(r.bodyAsJsonObject().getString("error").contains("64"), r.bodyAsString());
          assertEquals(0, validations.get());
          tc.completeNow();
        })));
  }

  @Test
  void chunkedBodyOverTheLimit_answers413(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx, IngressFixture.config(false, 2_000, 64, List.of()));
    f.acceptAll();
    Buffer big = Buffer.buffer("{\"value\":\"" + "x".repeat(100) + "\"}");
    HttpClient http = vertx.createHttpClient();
    f.start()
        .compose(x -> http.request(HttpMethod.POST, f.ingress.actualPort(), "127.0.0.1", "/entries"))
        .compose(req -> req.setChunked(true).send(big))
        .compose(resp -> resp.body().map(b -> {
          assertEquals(413, resp.statusCode());
          assertEquals("TOO_LARGE", b.toJsonObject().getString("code"));
          return b;
        }))
        .onComplete(tc.succeedingThenComplete());
  }

  @Test
  void formEncodedContentType_stillReadsTheJsonBody(Vertx vertx, VertxTestContext tc) {
    // curl -d sends Content-Type: application/x-www-form-urlencoded by default.
    IngressFixture f = new IngressFixture(vertx);
    f.acceptAll();
    AtomicReference<Submit> submitted = new AtomicReference<>();
    f.answer(Addresses.LOG_SUBMIT, body -> {
      submitted.set((Submit) body);
      return committed(TXID, 1, HEAD, null);
    });
    f.start().compose(x -> f.client.post("/entries")
            .putHeader("Content-Type", "application/x-www-form-urlencoded")
            .sendBuffer(Buffer.buffer("{\"op\":\"put\",\"key\":\"a=b&c\",\"value\":1}")))
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertEquals(201, r.statusCode(), r.bodyAsString());
          assertEquals("{\"op\":\"put\",\"key\":\"a=b&c\",\"value\":1}",
              new String(submitted.get().payload(), StandardCharsets.UTF_8));
          tc.completeNow();
        })));
  }

  /** Posts each body (mode 0) or "{}" with each Idempotency-Key (mode 1), one after another. */
  private static void checkAll(IngressFixture f, List<String> inputs, int mode, VertxTestContext tc,
      ResponseCheck check, Runnable after) {
    io.vertx.core.Future<Void> chain = f.start().mapEmpty();
    for (String input : inputs) {
      chain = chain.compose(x -> (mode == 0
              ? f.post("/entries", input)
              : f.client.post("/entries").putHeader("Idempotency-Key", input).sendBuffer(Buffer.buffer("{}")))
          .map(r -> {
            try {
              check.check(r);
            } catch (AssertionError e) {
              throw new AssertionError("input " + input + ": " + e.getMessage(), e);
            }
            return null;
          }));
    }
    chain.onComplete(tc.succeeding(x -> tc.verify(() -> {
      after.run();
      tc.completeNow();
    })));
  }

  interface ResponseCheck {
    void check(HttpResponse<Buffer> r);
  }
}
