package raftsimple.ingress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static raftsimple.ingress.EntriesRoutesTest.assertError;
import static raftsimple.ingress.IngressFixture.committed;
import static raftsimple.ingress.IngressFixture.hash;
import static raftsimple.ingress.IngressFixture.json;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import raftsimple.bus.Addresses;
import raftsimple.bus.BusApi;
import raftsimple.bus.BusApi.IdempotencyHit;
import raftsimple.bus.BusApi.IdempotencyLookup;
import raftsimple.bus.BusApi.Outcome;
import raftsimple.bus.BusApi.Submit;
import raftsimple.chain.Hash;
import raftsimple.chain.Hashing;

@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class IdempotencyTest {
  static final Hash TXID = hash("original");
  static final Hash HEAD = hash("original-head");
  static final String BODY = "{\"op\":\"put\",\"key\":\"k\",\"value\":1}";

  static Hash bodyHash(String canonical) {
    return Hashing.sha256(canonical.getBytes(StandardCharsets.UTF_8));
  }

  private static Future<io.vertx.ext.web.client.HttpResponse<Buffer>> postWithKey(
      IngressFixture f, String key, String body) {
    return f.client.post("/entries").putHeader("Idempotency-Key", key).sendBuffer(Buffer.buffer(body));
  }

  @Test
  void rememberedKeyWithTheSameBody_answersTheOriginalOutcomeWithoutSubmitting(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    AtomicReference<Object> asked = new AtomicReference<>();
    f.answer(Addresses.SM_IDEMPOTENCY, q -> {
      asked.set(q);
      return new IdempotencyHit("retry-1", bodyHash(BODY),
          new Outcome(TXID, 5, HEAD, true, json("{\"prev\":null}"), null));
    });
    AtomicInteger validations = f.acceptAll();
    AtomicInteger submits = f.answer(Addresses.LOG_SUBMIT, s -> committed(hash("new"), 6, hash("h"), null));
    // Reformatted, but the same canonical body: a retry of the same request.
    f.start().compose(x -> postWithKey(f, "retry-1", "{ \"op\" : \"put\", \"key\": \"k\", \"value\": 1 }"))
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertEquals(201, r.statusCode(), r.bodyAsString());
          assertEquals(new JsonObject().put("txid", TXID.hex()).put("index", 5).put("head", HEAD.hex())
              .put("status", "committed").put("result", new JsonObject().putNull("prev")), r.bodyAsJsonObject());
          assertEquals(new IdempotencyLookup("retry-1"), asked.get());
          assertEquals(0, validations.get());
          assertEquals(0, submits.get());
          tc.completeNow();
        })));
  }

  @Test
  void rememberedRejection_answers409Again(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    f.answer(Addresses.SM_IDEMPOTENCY, q -> new IdempotencyHit("k1", bodyHash(BODY),
        new Outcome(TXID, 3, HEAD, false, null, "current value != expect")));
    AtomicInteger submits = f.answer(Addresses.LOG_SUBMIT, s -> committed(hash("new"), 6, hash("h"), null));
    f.start().compose(x -> postWithKey(f, "k1", BODY))
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertError(r, 409, "REJECTED");
          assertEquals(new JsonObject().put("error", "current value != expect").put("code", "REJECTED")
              .put("txid", TXID.hex()).put("index", 3), r.bodyAsJsonObject());
          assertEquals(0, submits.get());
          tc.completeNow();
        })));
  }

  @Test
  void rememberedKeyWithAnotherBody_answers422(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    f.answer(Addresses.SM_IDEMPOTENCY, q -> new IdempotencyHit("k1", bodyHash(BODY),
        new Outcome(TXID, 3, HEAD, true, null, null)));
    AtomicInteger submits = f.answer(Addresses.LOG_SUBMIT, s -> committed(hash("new"), 6, hash("h"), null));
    f.start().compose(x -> postWithKey(f, "k1", "{\"op\":\"put\",\"key\":\"k\",\"value\":2}"))
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertError(r, 422, "IDEMPOTENCY_KEY_REUSED");
          assertEquals(0, submits.get());
          tc.completeNow();
        })));
  }

  @Test
  void unknownKey_isSubmittedWithTheEntry(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    f.answer(Addresses.SM_IDEMPOTENCY, q -> BusApi.NONE);
    f.acceptAll();
    AtomicReference<Submit> submitted = new AtomicReference<>();
    f.answer(Addresses.LOG_SUBMIT, s -> {
      submitted.set((Submit) s);
      return committed(TXID, 1, HEAD, null);
    });
    f.start().compose(x -> postWithKey(f, "order-42", BODY))
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertEquals(201, r.statusCode());
          assertEquals("order-42", submitted.get().idempotencyKey());
          tc.completeNow();
        })));
  }

  @Test
  void idempotencyLookupTimeout_answers503(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx, IngressFixture.config(false, 100, 1 << 20, java.util.List.of()));
    f.handle(Addresses.SM_IDEMPOTENCY, m -> { /* never answers */ });
    f.start().compose(x -> postWithKey(f, "k", BODY))
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertError(r, 503, "UNAVAILABLE");
          tc.completeNow();
        })));
  }

  /**
   * A arrives and waits in LOG_SUBMIT; B (same key, same body) and then C (GET /health) are sent on
   * one HTTP/2 connection, so when C's answer is back the ingress has handled B. Only then does A
   * commit. B must get A's outcome with no second lookup or submit.
   */
  @Test
  void concurrentRequestsWithOneKey_submitOnce(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    AtomicInteger lookups = f.answer(Addresses.SM_IDEMPOTENCY, q -> BusApi.NONE);
    f.acceptAll();
    AtomicInteger submits = new AtomicInteger();
    Promise<Message<Object>> heldA = Promise.promise();
    f.handle(Addresses.LOG_SUBMIT, m -> {
      submits.incrementAndGet();
      heldA.tryComplete(m);
    });
    HttpClient h2 = vertx.createHttpClient(new HttpClientOptions()
        .setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
    f.start().onComplete(tc.succeeding(x -> {
      int port = f.ingress.actualPort();
      Future<JsonObject> a = send(h2, port, HttpMethod.POST, "/entries", "same", BODY);
      heldA.future().onComplete(tc.succeeding(held -> {
        Future<HttpClientResponse> b = h2.request(HttpMethod.POST, port, "127.0.0.1", "/entries")
            .compose(req -> {
              req.putHeader("Idempotency-Key", "same");
              return req.end(Buffer.buffer(BODY)).compose(written -> req.response());
            });
        Future<JsonObject> bBody = b.compose(resp -> resp.body().map(body -> status(resp, body)));
        // C after B is on the wire; its answer means the ingress has taken B.
        b.onFailure(tc::failNow);
        send(h2, port, HttpMethod.GET, "/health", null, null).onComplete(tc.succeeding(c -> {
          held.reply(committed(TXID, 1, HEAD, null));
          Future.all(a, bBody).onComplete(tc.succeeding(both -> tc.verify(() -> {
            JsonObject expected = new JsonObject().put("status", 201).put("body", new JsonObject()
                .put("txid", TXID.hex()).put("index", 1).put("head", HEAD.hex())
                .put("status", "committed").putNull("result"));
            assertEquals(expected, a.result());
            assertEquals(expected, bBody.result());
            assertEquals(1, submits.get());
            assertEquals(1, lookups.get());
            tc.completeNow();
          })));
        }));
      }));
    }));
  }

  /** While A is in flight, B with A's key and another body is refused at once. */
  @Test
  void concurrentRequestWithOneKeyAndAnotherBody_answers422(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    f.answer(Addresses.SM_IDEMPOTENCY, q -> BusApi.NONE);
    f.acceptAll();
    Promise<Message<Object>> heldA = Promise.promise();
    AtomicInteger submits = new AtomicInteger();
    f.handle(Addresses.LOG_SUBMIT, m -> {
      submits.incrementAndGet();
      heldA.tryComplete(m);
    });
    f.start().onComplete(tc.succeeding(x -> {
      Future<io.vertx.ext.web.client.HttpResponse<Buffer>> a = postWithKey(f, "same", BODY);
      heldA.future()
          .compose(held -> postWithKey(f, "same", "{\"other\":true}").map(b -> {
            held.reply(committed(TXID, 1, HEAD, null));
            return b;
          }))
          .compose(b -> a.map(ar -> new Object[] {ar, b}))
          .onComplete(tc.succeeding(rs -> tc.verify(() -> {
            @SuppressWarnings("unchecked")
            io.vertx.ext.web.client.HttpResponse<Buffer> ra = (io.vertx.ext.web.client.HttpResponse<Buffer>) rs[0];
            @SuppressWarnings("unchecked")
            io.vertx.ext.web.client.HttpResponse<Buffer> rb = (io.vertx.ext.web.client.HttpResponse<Buffer>) rs[1];
            assertEquals(201, ra.statusCode());
            assertError(rb, 422, "IDEMPOTENCY_KEY_REUSED");
            assertEquals(1, submits.get());
            tc.completeNow();
          })));
    }));
  }

  /**
   * A retry after the first attempt was answered 503 (timeout): its entry is still in flight in the
   * log verticle, which the ingress asks first ({@code LOG_ATTACH}, with the key and body hash).
   * The retry waits for that entry's outcome: no table lookup, no validation, no second submit.
   */
  @Test
  void aRetryOfAnEntryInFlight_joinsItInsteadOfSubmitting(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    AtomicReference<Object> attach = new AtomicReference<>();
    f.answer(Addresses.LOG_ATTACH, a -> {
      attach.set(a);
      return committed(TXID, 4, HEAD, json("{\"prev\":null}"));
    });
    AtomicInteger lookups = f.answer(Addresses.SM_IDEMPOTENCY, q -> BusApi.NONE);
    AtomicInteger validations = f.acceptAll();
    AtomicInteger submits = f.answer(Addresses.LOG_SUBMIT, s -> committed(hash("new"), 6, hash("h"), null));
    f.start().compose(x -> postWithKey(f, "retry-2", "{ \"op\":\"put\", \"key\":\"k\", \"value\":1 }"))
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertEquals(201, r.statusCode(), r.bodyAsString());
          assertEquals(TXID.hex(), r.bodyAsJsonObject().getString("txid"));
          assertEquals(4, r.bodyAsJsonObject().getInteger("index"));
          assertEquals(new BusApi.Attach("retry-2", bodyHash(BODY)), attach.get());
          assertEquals(0, lookups.get());
          assertEquals(0, validations.get());
          assertEquals(0, submits.get());
          tc.completeNow();
        })));
  }

  /** The entry in flight is still undecided at this request's timeout: 503 with the same txid. */
  @Test
  void aRetryOfAnEntryStillInFlight_getsItsTxidWithThe503(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    f.answer(Addresses.LOG_ATTACH, a -> new raftsimple.bus.BusApi.SubmitOutcome(
        raftsimple.bus.BusApi.SubmitOutcome.Kind.UNAVAILABLE, TXID, 0, null, null, "UNAVAILABLE", "no quorum"));
    f.start().compose(x -> postWithKey(f, "retry-3", BODY))
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertError(r, 503, "UNAVAILABLE");
          assertEquals(TXID.hex(), r.bodyAsJsonObject().getString("txid"));
          tc.completeNow();
        })));
  }

  /** The log refuses a key in flight with another body: 422, as the table would. */
  @Test
  void aKeyInFlightWithAnotherBody_answers422(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    f.answer(Addresses.LOG_ATTACH, a -> new raftsimple.bus.BusApi.SubmitOutcome(
        raftsimple.bus.BusApi.SubmitOutcome.Kind.REFUSED, null, 0, null, null, "IDEMPOTENCY_KEY_REUSED",
        "in use by an entry in flight with a different body"));
    AtomicInteger submits = f.answer(Addresses.LOG_SUBMIT, s -> committed(hash("new"), 6, hash("h"), null));
    f.start().compose(x -> postWithKey(f, "retry-4", BODY))
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertError(r, 422, "IDEMPOTENCY_KEY_REUSED");
          assertEquals(0, submits.get());
          tc.completeNow();
        })));
  }

  private static Future<JsonObject> send(HttpClient client, int port, HttpMethod method, String uri,
      String key, String body) {
    return client.request(method, port, "127.0.0.1", uri).compose(req -> {
      if (key != null) {
        req.putHeader("Idempotency-Key", key);
      }
      return (body == null ? req.send() : req.send(Buffer.buffer(body)))
          .compose(resp -> resp.body().map(b -> status(resp, b)));
    });
  }

  private static JsonObject status(HttpClientResponse resp, Buffer body) {
    return new JsonObject().put("status", resp.statusCode()).put("body", body.toJsonObject());
  }
}
