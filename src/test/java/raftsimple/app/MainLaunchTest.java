package raftsimple.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Main in this JVM, with test components: exit statuses, metrics, clustering, ordered stop. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MainLaunchTest {
  @TempDir Path dir;
  private final List<String> events = Collections.synchronizedList(new ArrayList<>());
  private Main app;

  @BeforeEach
  void noOverrides() {
    assumeTrue(System.getenv().keySet().stream().noneMatch(k -> k.startsWith("RAFTSIMPLE_")));
  }

  @AfterEach
  void closeVertx() throws Exception {
    Vertx vertx = app == null ? null : app.vertx();
    if (vertx != null) {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  private String confArgument(JsonObject conf) {
    return conf.put("dataDir", dir.toString()).put("port", 0).encode();
  }

  private Components.Component failing(RuntimeException e) {
    return new Components.Component("failing", () -> new VerticleBase() {
      @Override
      public Future<?> start() {
        return Future.failedFuture(e);
      }
    });
  }

  private Components.Component recorder(String name) {
    return new Components.Component(name, () -> new VerticleBase() {
      @Override
      public Future<?> stop() {
        events.add("stop " + name);
        return Future.succeededFuture();
      }
    });
  }

  private int start(JsonObject conf, Function<NodeResources, List<Components.Component>> c) {
    app = Main.prepare(confArgument(conf), c);
    return app.start();
  }

  @Test
  void corruptStorageExitsWithTheExceptionsCode() {
    int status = start(new JsonObject(),
        r -> List.of(failing(new FatalStartupException(2, "wal corrupt at offset 42"))));
    assertEquals(2, status);
  }

  @Test
  void anyOtherComponentFailureExitsWith15() {
    assertEquals(15, start(new JsonObject(), r -> List.of(failing(new IllegalStateException("x")))));
  }

  @Test
  void startsWithMetricsAndStopsComponentsInReverse() throws Exception {
    int status = start(new JsonObject().put("tls", new JsonObject().put("enabled", false)),
        r -> List.of(recorder("first"), recorder("second")));
    assertEquals(0, status);
    String scrape = app.resources().registry().scrape();
    assertTrue(scrape.contains("vertx_pool_"), "Vert.x reports to the registry");
    assertTrue(scrape.contains("jvm_"), "JVM metrics are on");
    assertEquals(0, app.stop(Duration.ofSeconds(10)));
    assertEquals(List.of("stop second", "stop first"), events);
  }

  @Test
  void eventbusTransportStartsAClusteredVertx() throws IOException {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    JsonObject conf = new JsonObject().put("transport", "eventbus")
        .put("tls", new JsonObject().put("enabled", false))
        .put("eventbus", new JsonObject().put("host", "127.0.0.1").put("port", port));
    assertEquals(0, start(conf, r -> List.of()));
    assertTrue(app.vertx().isClustered());
    assertEquals(0, app.stop(Duration.ofSeconds(30)));
  }
}
