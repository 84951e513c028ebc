package raftsimple.ingress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftsimple.ingress.EntriesRoutesTest.assertError;
import static raftsimple.ingress.IngressFixture.json;
import static raftsimple.ingress.ReadRoutesTest.getAll;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import raftsimple.bus.Addresses;
import raftsimple.bus.BusApi.Query;

@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class StatusAndErrorsTest {

  @Test
  void health_answersWithoutTheBus(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    f.start().compose(x -> f.get("/health").send())
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertEquals(200, r.statusCode());
          assertEquals(new JsonObject().put("status", "up").put("nodeId", "n1"), r.bodyAsJsonObject());
          tc.completeNow();
        })));
  }

  @Test
  void cluster_isTheLogsAnswer(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    String cluster = "{\"nodeId\":\"n1\",\"members\":[{\"id\":\"n1\",\"url\":\"http://x\",\"role\":\"voter\"}]}";
    f.answer(Addresses.LOG_QUERY, q -> {
      assertEquals(Query.Kind.CLUSTER, ((Query) q).kind());
      return json(cluster);
    });
    f.start().compose(x -> f.get("/cluster").send())
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertEquals(200, r.statusCode());
          assertEquals(new JsonObject(cluster), r.bodyAsJsonObject());
          tc.completeNow();
        })));
  }

  @Test
  void ready_is200WhenReadyElse503(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    AtomicBoolean ready = new AtomicBoolean(false);
    f.answer(Addresses.LOG_QUERY, q -> {
      assertEquals(Query.Kind.READY, ((Query) q).kind());
      return ready.get()
          ? json("{\"ready\":true,\"nodeId\":\"n1\"}")
          : json("{\"ready\":false,\"nodeId\":\"n1\",\"reason\":\"not caught up with a majority of voters\"}");
    });
    f.start().compose(x -> f.get("/ready").send())
        .compose(notReady -> {
          ready.set(true);
          return f.get("/ready").send().map(isReady -> new Object[] {notReady, isReady});
        })
        .onComplete(tc.succeeding(rs -> tc.verify(() -> {
          @SuppressWarnings("unchecked")
          var notReady = (io.vertx.ext.web.client.HttpResponse<Buffer>) rs[0];
          @SuppressWarnings("unchecked")
          var isReady = (io.vertx.ext.web.client.HttpResponse<Buffer>) rs[1];
          assertError(notReady, 503, "NOT_READY");
          assertEquals(new JsonObject().put("ready", false).put("nodeId", "n1")
              .put("reason", "not caught up with a majority of voters")
              .put("error", "not caught up with a majority of voters").put("code", "NOT_READY"),
              notReady.bodyAsJsonObject());
          assertEquals(200, isReady.statusCode());
          assertEquals(new JsonObject().put("ready", true).put("nodeId", "n1"), isReady.bodyAsJsonObject());
          tc.completeNow();
        })));
  }

  @Test
  void readyWithoutALogVerticle_is503(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    f.start().compose(x -> f.get("/ready").send())
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertError(r, 503, "UNAVAILABLE");
          tc.completeNow();
        })));
  }

  @Test
  void metrics_countRequestsByRouteTemplateAndStatus(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    f.answer(Addresses.SM_READ, b -> new raftsimple.bus.BusApi.ReadResult("k", null, 0));
    f.start().compose(x -> getAll(f, "/health", "/kv/a", "/kv/b", "/nowhere", "/metrics"))
        .onComplete(tc.succeeding(rs -> tc.verify(() -> {
          var metrics = rs.get(4);
          assertEquals(200, metrics.statusCode());
          assertEquals("text/plain; version=0.0.4; charset=utf-8", metrics.getHeader("Content-Type"));
          String text = metrics.bodyAsString();
          assertTrue(text.contains("raftsimple_client_requests_total{route=\"/health\",status=\"200\"} 1.0"), text);
          assertTrue(text.contains("raftsimple_client_requests_total{route=\"/kv/:key\",status=\"404\"} 2.0"), text);
          assertTrue(text.contains("raftsimple_client_requests_total{route=\"unmatched\",status=\"404\"} 1.0"), text);
          assertTrue(text.contains("raftsimple_client_request_latency_seconds_bucket{route=\"/kv/:key\""), text);
          tc.completeNow();
        })));
  }

  @Test
  void unknownRoute_is404Json(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    f.start().compose(x -> getAll(f, "/nowhere", "/peer/other", "/kv"))
        .onComplete(tc.succeeding(rs -> tc.verify(() -> {
          rs.forEach(r -> assertError(r, 404, "NOT_FOUND"));
          tc.completeNow();
        })));
  }

  @Test
  void wrongMethod_is405Json(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    f.start()
        .compose(x -> f.client.request(HttpMethod.DELETE, "/head").send())
        .compose(r1 -> f.client.put("/entries").sendBuffer(Buffer.buffer("{}")).map(r2 -> new Object[] {r1, r2}))
        .compose(rs -> f.get("/entries").send().map(r3 -> new Object[] {rs[0], rs[1], r3}))
        .onComplete(tc.succeeding(rs -> tc.verify(() -> {
          for (Object r : rs) {
            @SuppressWarnings("unchecked")
            var resp = (io.vertx.ext.web.client.HttpResponse<Buffer>) r;
            assertError(resp, 405, "METHOD_NOT_ALLOWED");
          }
          tc.completeNow();
        })));
  }

  @Test
  void undecodableRequest_getsAContractBodyToo(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    f.start().compose(x -> f.get("/kv/" + "x".repeat(10_000)).send())
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertError(r, 414, "REQUEST_URI_TOO_LONG");
          tc.completeNow();
        })));
  }

  @Test
  void membershipChanges_goThroughTheLogVerticle(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    java.util.List<raftsimple.bus.BusApi.MembershipChange> seen = new java.util.ArrayList<>();
    f.handle(Addresses.LOG_MEMBERSHIP, m -> {
      var c = (raftsimple.bus.BusApi.MembershipChange) m.body();
      seen.add(c);
      if (c.id().equals("bad")) {
        m.reply(new raftsimple.bus.BusApi.SubmitOutcome(raftsimple.bus.BusApi.SubmitOutcome.Kind.REFUSED,
            null, 0, null, null, "NOT_FOUND", "node bad is not a member"));
        return;
      }
      var result = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
      result.putObject("membership").put("version", 7);
      m.reply(new raftsimple.bus.BusApi.SubmitOutcome(raftsimple.bus.BusApi.SubmitOutcome.Kind.COMMITTED,
          IngressFixture.hash("t"), 7, null, result, null, null));
    });
    f.start()
        .compose(x -> f.post("/cluster/members", "{\"id\":\"n4\",\"url\":\"http://127.0.0.1:7004\",\"role\":\"voter\"}"))
        .compose(r1 -> f.client.delete("/cluster/members/n4").send().map(r2 -> new Object[] {r1, r2}))
        .compose(rs -> f.client.delete("/cluster/members/bad").send().map(r3 -> new Object[] {rs[0], rs[1], r3}))
        .compose(rs -> f.post("/cluster/members", "{\"id\":5}").map(r4 -> new Object[] {rs[0], rs[1], rs[2], r4}))
        .onComplete(tc.succeeding(rs -> tc.verify(() -> {
          @SuppressWarnings("unchecked")
          var add = (io.vertx.ext.web.client.HttpResponse<Buffer>) rs[0];
          assertEquals(201, add.statusCode(), add.bodyAsString());
          assertEquals(7, add.bodyAsJsonObject().getJsonObject("membership").getInteger("version"));
          assertEquals(7, add.bodyAsJsonObject().getInteger("index"));
          @SuppressWarnings("unchecked")
          var del = (io.vertx.ext.web.client.HttpResponse<Buffer>) rs[1];
          assertEquals(200, del.statusCode(), del.bodyAsString());
          @SuppressWarnings("unchecked")
          var missing = (io.vertx.ext.web.client.HttpResponse<Buffer>) rs[2];
          assertError(missing, 404, "NOT_FOUND");
          @SuppressWarnings("unchecked")
          var bad = (io.vertx.ext.web.client.HttpResponse<Buffer>) rs[3];
          assertError(bad, 400, "BAD_REQUEST");
          assertEquals("add", seen.get(0).op());
          assertEquals("voter", seen.get(0).role());
          assertEquals("remove", seen.get(1).op());
          assertEquals(3, seen.size(), "a malformed body never reaches the log verticle");
          tc.completeNow();
        })));
  }

  /**
   * The node stops while an entry waits for its outcome: the answer still reaches the client, and
   * the stop completes once it has (the grace period, 31 s here, is far longer than the test's
   * timeout, so a stop that waited for idle keep-alive connections would fail the test).
   */
  @Test
  void stop_letsTheRequestInFlightFinish(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx, IngressFixture.config(false, 30_000, 1 << 20, java.util.List.of()));
    f.acceptAll();
    var answered = tc.checkpoint();
    var stopped = tc.checkpoint();
    f.handle(Addresses.LOG_SUBMIT, m -> {
      vertx.undeploy(f.ingress.deploymentID()).onComplete(tc.succeeding(v -> stopped.flag()));
      vertx.setTimer(100, t -> m.reply(IngressFixture.committed(
          IngressFixture.hash("t"), 1, IngressFixture.hash("h"), null)));
    });
    f.start().compose(x -> f.post("/entries", "{}"))
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertEquals(201, r.statusCode(), r.bodyAsString());
          answered.flag();
        })));
  }
}
