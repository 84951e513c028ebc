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
}
