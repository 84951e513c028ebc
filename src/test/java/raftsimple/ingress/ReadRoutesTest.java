package raftsimple.ingress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftsimple.ingress.EntriesRoutesTest.assertError;
import static raftsimple.ingress.IngressFixture.json;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import raftsimple.bus.Addresses;
import raftsimple.bus.BusApi;
import raftsimple.bus.BusApi.Query;
import raftsimple.bus.BusApi.Read;
import raftsimple.bus.BusApi.ReadIndex;
import raftsimple.bus.BusApi.ReadResult;

@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class ReadRoutesTest {
  static final String TXID = IngressFixture.hash("t").hex();

  /** GETs each uri in turn; completes with the responses in order. */
  static Future<List<HttpResponse<Buffer>>> getAll(IngressFixture f, String... uris) {
    List<HttpResponse<Buffer>> out = new ArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    for (String uri : uris) {
      chain = chain.compose(x -> f.get(uri).send().map(r -> {
        out.add(r);
        return null;
      }));
    }
    return chain.map(x -> out);
  }

  @Test
  void localRead_asksTheStateWithMinIndexZero(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    List<Read> reads = new CopyOnWriteArrayList<>();
    f.answer(Addresses.SM_READ, b -> {
      Read r = (Read) b;
      reads.add(r);
      return new ReadResult(r.key(), json("{\"v\":[1,2]}"), 12);
    });
    AtomicInteger barriers = f.answer(Addresses.LOG_READ_BARRIER, b -> new ReadIndex(99));
    f.start().compose(x -> getAll(f, "/kv/user%201", "/kv/a%2Fb?consistency=local"))
        .onComplete(tc.succeeding(rs -> tc.verify(() -> {
          assertEquals(200, rs.get(0).statusCode());
          assertEquals("application/json", rs.get(0).getHeader("Content-Type"));
          assertEquals(new JsonObject().put("key", "user 1").put("value", new JsonObject().put("v",
              new io.vertx.core.json.JsonArray().add(1).add(2))).put("index", 12), rs.get(0).bodyAsJsonObject());
          assertEquals(200, rs.get(1).statusCode());
          assertEquals("a/b", rs.get(1).bodyAsJsonObject().getString("key"));
          assertEquals(List.of(new Read("user 1", 0), new Read("a/b", 0)), reads);
          assertEquals(0, barriers.get());
          tc.completeNow();
        })));
  }

  @Test
  void linearizableRead_waitsForTheReadIndex(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    List<Read> reads = new CopyOnWriteArrayList<>();
    f.answer(Addresses.SM_READ, b -> {
      Read r = (Read) b;
      reads.add(r);
      return new ReadResult(r.key(), json("{\"x\":1}").get("x"), 41);
    });
    f.answer(Addresses.LOG_READ_BARRIER, b -> new ReadIndex(41));
    f.start().compose(x -> f.get("/kv/k?consistency=linearizable").send())
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertEquals(200, r.statusCode());
          assertEquals(new JsonObject().put("key", "k").put("value", 1).put("index", 41), r.bodyAsJsonObject());
          assertEquals(List.of(new Read("k", 41)), reads);
          tc.completeNow();
        })));
  }

  @Test
  void storedJsonNull_isFoundAbsentIsNotFound(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    f.answer(Addresses.SM_READ, b -> {
      Read r = (Read) b;
      return new ReadResult(r.key(), r.key().equals("null") ? Payloads.NODES.nullNode() : null, 3);
    });
    f.start().compose(x -> getAll(f, "/kv/null", "/kv/absent"))
        .onComplete(tc.succeeding(rs -> tc.verify(() -> {
          assertEquals(200, rs.get(0).statusCode());
          assertEquals(new JsonObject().put("key", "null").putNull("value").put("index", 3),
              rs.get(0).bodyAsJsonObject());
          assertError(rs.get(1), 404, "NOT_FOUND");
          tc.completeNow();
        })));
  }

  @Test
  void badReadRequests_answer400(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    AtomicInteger reads = f.answer(Addresses.SM_READ, b -> new ReadResult("k", null, 0));
    f.start().compose(x -> getAll(f, "/kv/k?consistency=strong", "/kv/k?consistency=local&consistency=local",
            "/kv/", "/kv/" + "k".repeat(ReadRoutes.KEY_BYTES_MAX + 1)))
        .onComplete(tc.succeeding(rs -> tc.verify(() -> {
          for (HttpResponse<Buffer> r : rs) {
            assertError(r, 400, "BAD_REQUEST");
          }
          assertTrue(rs.get(0).bodyAsJsonObject().getString("error").contains("consistency"));
          assertEquals(0, reads.get());
          tc.completeNow();
        })));
  }

  @Test
  void failedReads_answer503(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    f.handle(Addresses.SM_READ, m -> m.fail(503, "state has not reached index 9"));
    f.handle(Addresses.LOG_READ_BARRIER, m -> m.fail(503, "no quorum for the read barrier"));
    f.start().compose(x -> getAll(f, "/kv/k", "/kv/k?consistency=linearizable"))
        .onComplete(tc.succeeding(rs -> tc.verify(() -> {
          assertError(rs.get(0), 503, "UNAVAILABLE");
          assertEquals("state has not reached index 9", rs.get(0).bodyAsJsonObject().getString("error"));
          assertError(rs.get(1), 503, "UNAVAILABLE");
          tc.completeNow();
        })));
  }

  @Test
  void readThatTimesOut_answers503(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx, IngressFixture.config(false, 100, 1 << 20, List.of()));
    f.answer(Addresses.LOG_READ_BARRIER, b -> new ReadIndex(5));
    f.handle(Addresses.SM_READ, m -> { /* never answers */ });
    f.start().compose(x -> f.get("/kv/k?consistency=linearizable").send())
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertError(r, 503, "UNAVAILABLE");
          tc.completeNow();
        })));
  }

  @Test
  void entryStatus_isTheLogsAnswer(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    List<Query> queries = new CopyOnWriteArrayList<>();
    f.answer(Addresses.LOG_QUERY, b -> {
      Query q = (Query) b;
      queries.add(q);
      return q.txid().equals(TXID)
          ? json("{\"txid\":\"" + TXID + "\",\"status\":\"committed\",\"index\":4,\"origin\":\"n2\"}")
          : BusApi.NONE;
    });
    String unknown = IngressFixture.hash("unknown").hex();
    f.start().compose(x -> getAll(f, "/entries/" + TXID, "/entries/" + unknown, "/entries/xyz",
            "/entries/" + TXID.toUpperCase()))
        .onComplete(tc.succeeding(rs -> tc.verify(() -> {
          assertEquals(200, rs.get(0).statusCode());
          assertEquals(new JsonObject().put("txid", TXID).put("status", "committed").put("index", 4)
              .put("origin", "n2"), rs.get(0).bodyAsJsonObject());
          assertError(rs.get(1), 404, "NOT_FOUND");
          assertError(rs.get(2), 400, "BAD_REQUEST");
          assertError(rs.get(3), 400, "BAD_REQUEST");
          assertEquals(List.of(new Query(Query.Kind.ENTRY, TXID, 0, 0), new Query(Query.Kind.ENTRY, unknown, 0, 0)),
              queries);
          tc.completeNow();
        })));
  }

  @Test
  void log_validatesItsParametersAndPassesThemOn(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    List<Query> queries = new CopyOnWriteArrayList<>();
    f.answer(Addresses.LOG_QUERY, b -> {
      queries.add((Query) b);
      return json("{\"entries\":[],\"head\":\"" + TXID + "\",\"length\":0}");
    });
    f.start().compose(x -> getAll(f, "/log", "/log?from=5&limit=1000", "/log?from=0", "/log?from=x",
            "/log?limit=0", "/log?limit=1001", "/log?limit=1.5", "/log?from=1&from=2"))
        .onComplete(tc.succeeding(rs -> tc.verify(() -> {
          assertEquals(200, rs.get(0).statusCode());
          assertEquals(new JsonObject().put("entries", new io.vertx.core.json.JsonArray()).put("head", TXID)
              .put("length", 0), rs.get(0).bodyAsJsonObject());
          assertEquals(200, rs.get(1).statusCode());
          String[] named = {"from", "from", "limit", "limit", "limit", "from"};
          for (int i = 2; i < rs.size(); i++) {
            assertError(rs.get(i), 400, "BAD_REQUEST");
            assertTrue(rs.get(i).bodyAsJsonObject().getString("error").startsWith(named[i - 2]),
                rs.get(i).bodyAsString());
          }
          assertEquals(List.of(new Query(Query.Kind.LOG, null, 1, 100), new Query(Query.Kind.LOG, null, 5, 1000)),
              queries);
          tc.completeNow();
        })));
  }

  @Test
  void compactedLogRange_passes410Through(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    f.handle(Addresses.LOG_QUERY, m -> {
      Query q = (Query) m.body();
      if (q.from() == 1) {
        m.fail(410, "{\"error\":\"entries before 1000 were compacted\",\"code\":\"COMPACTED\",\"firstIndex\":1000}");
      } else {
        m.fail(410, "entries before 1000 were compacted");
      }
    });
    f.start().compose(x -> getAll(f, "/log?from=1", "/log?from=2"))
        .onComplete(tc.succeeding(rs -> tc.verify(() -> {
          assertError(rs.get(0), 410, "COMPACTED");
          assertEquals(new JsonObject().put("error", "entries before 1000 were compacted").put("code", "COMPACTED")
              .put("firstIndex", 1000), rs.get(0).bodyAsJsonObject());
          assertError(rs.get(1), 410, "GONE");
          assertEquals("entries before 1000 were compacted", rs.get(1).bodyAsJsonObject().getString("error"));
          tc.completeNow();
        })));
  }

  @Test
  void head_isTheLogsAnswer(Vertx vertx, VertxTestContext tc) {
    IngressFixture f = new IngressFixture(vertx);
    f.answer(Addresses.LOG_QUERY, b -> {
      assertEquals(Query.Kind.HEAD, ((Query) b).kind());
      return json("{\"head\":\"" + TXID + "\",\"length\":3,\"nodeId\":\"n1\"}");
    });
    f.start().compose(x -> f.get("/head").send())
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertEquals(200, r.statusCode());
          assertEquals(new JsonObject().put("head", TXID).put("length", 3).put("nodeId", "n1"), r.bodyAsJsonObject());
          tc.completeNow();
        })));
  }
}
