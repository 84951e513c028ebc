package raftsimple.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import raftsimple.bus.Addresses;
import raftsimple.bus.BusApi;
import raftsimple.config.NodeConfig;
import raftsimple.statemachine.KvStateMachine;
import raftsimple.statemachine.host.StateMachineVerticle;
import raftsimple.storage.SnapshotBackup;
import raftsimple.storage.SnapshotStore;

/**
 * {@code LOG_SNAPSHOT} (GET /snapshot) on a single node far below {@code snapshotEveryEntries}: a
 * snapshot is taken at the applied index, reused while nothing new is applied, and taken anew
 * after more entries; its file verifies and reflects the node's head.
 */
@ExtendWith(VertxExtension.class)
class SnapshotOnDemandTest {
  private static final DeliveryOptions OPTS = new DeliveryOptions().setSendTimeout(10_000);
  @TempDir Path dir;

  private Future<Void> write(Vertx vertx, int from, int to) {
    List<Future<?>> all = new ArrayList<>();
    for (int i = from; i < to; i++) {
      byte[] json = ("{\"op\":\"put\",\"key\":\"k" + i + "\",\"value\":" + i + "}").getBytes(StandardCharsets.UTF_8);
      all.add(vertx.eventBus().request(Addresses.LOG_SUBMIT,
          new BusApi.Submit(json, null, System.currentTimeMillis()), OPTS));
    }
    return Future.all(all).mapEmpty();
  }

  private Future<BusApi.SnapshotReady> snapshot(Vertx vertx) {
    return vertx.eventBus().<BusApi.SnapshotReady>request(Addresses.LOG_SNAPSHOT, new BusApi.SnapshotNow(), OPTS)
        .map(m -> m.body());
  }

  private Future<String> head(Vertx vertx) {
    return vertx.eventBus().<ObjectNode>request(Addresses.LOG_QUERY,
        new BusApi.Query(BusApi.Query.Kind.HEAD, null, 0, 0), OPTS).map(m -> m.body().get("head").asText());
  }

  @Test
  void takesReusesAndRetakes(Vertx vertx, VertxTestContext ctx) {
    NodeConfig d = NodeConfig.defaults();
    NodeConfig config = new NodeConfig(d.nodeId(), d.host(), d.port(), dir, false, List.of(), null,
        d.transport(), d.stateMachine(), d.headTimeoutMs(), d.tls(), null, d.limits());
    MemoryRecordStore store = new MemoryRecordStore();
    AtomicReference<BusApi.SnapshotReady> first = new AtomicReference<>();
    vertx.deployVerticle(new StateMachineVerticle(new KvStateMachine(), 1_000))
        .compose(sm -> vertx.deployVerticle(new LogVerticle(config, () -> store, new SimpleMeterRegistry())))
        .compose(id -> write(vertx, 0, 20))
        .compose(v -> snapshot(vertx))
        .compose(s -> head(vertx).map(h -> {
          ctx.verify(() -> {
            assertEquals(20, s.length());
            assertEquals(h, s.head());
            SnapshotBackup.Header file = SnapshotBackup.verify(Path.of(s.file()), b -> { });
            assertEquals(20, file.length());
          });
          first.set(s);
          return s;
        }))
        .compose(s -> snapshot(vertx))
        .compose(again -> {
          ctx.verify(() -> {
            assertEquals(first.get(), again, "nothing new applied: the same file");
            assertEquals(List.of(20L), new SnapshotStore(dir.resolve("snapshots")).lengths());
          });
          return write(vertx, 20, 25);
        })
        .compose(v -> snapshot(vertx))
        .onComplete(ctx.succeeding(later -> ctx.verify(() -> {
          assertEquals(25, later.length());
          assertTrue(later.file().endsWith(SnapshotStore.name(25)), later.file());
          ctx.completeNow();
        })));
  }
}
