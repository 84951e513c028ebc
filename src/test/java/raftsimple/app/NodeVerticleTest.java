package raftsimple.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import raftsimple.config.ConfigException;
import raftsimple.config.ConfigParser;
import raftsimple.config.TlsMaterial;

@ExtendWith(VertxExtension.class)
class NodeVerticleTest {
  @TempDir Path dir;
  private final List<String> events = Collections.synchronizedList(new ArrayList<>());

  /** Records its start (completed asynchronously, a timer later) and stop. */
  private final class Recorder extends VerticleBase {
    private final String name;

    Recorder(String name) {
      this.name = name;
    }

    @Override
    public Future<?> start() {
      events.add("begin " + name);
      Promise<Void> done = Promise.promise();
      vertx.setTimer(5, t -> {
        events.add("started " + name);
        done.complete();
      });
      return done.future();
    }

    @Override
    public Future<?> stop() {
      events.add("stop " + name);
      return Future.succeededFuture();
    }
  }

  private NodeResources resources() {
    return new NodeResources(
        ConfigParser.parse(new JsonObject("{\"tls\": {\"enabled\": false}}"), Map.of(), dir),
        TlsMaterial.disabled(), Metrics.newRegistry());
  }

  private Components.Component recorder(String name) {
    return new Components.Component(name, () -> new Recorder(name));
  }

  @Test
  void startsComponentsInOrderAndStopsThemInReverse(Vertx vertx, VertxTestContext ctx) {
    NodeVerticle node = new NodeVerticle(resources(),
        r -> List.of(recorder("a"), recorder("b"), recorder("c")));
    vertx.deployVerticle(node)
        .compose(id -> {
          ctx.verify(() -> assertEquals(List.of("begin a", "started a", "begin b", "started b",
              "begin c", "started c"), events));
          events.clear();
          return node.stopComponents();
        })
        .compose(v -> {
          ctx.verify(() -> assertEquals(List.of("stop c", "stop b", "stop a"), events));
          return node.stopComponents(); // idempotent
        })
        .compose(v -> vertx.undeploy(node.deploymentID()))
        .onComplete(ctx.succeeding(v -> ctx.verify(() -> {
          assertEquals(List.of("stop c", "stop b", "stop a"), events);
          ctx.completeNow();
        })));
  }

  @Test
  void aFailingComponentFailsTheDeploymentWithItsCause(Vertx vertx, VertxTestContext ctx) {
    Components.Component corrupt = new Components.Component("log", () -> new VerticleBase() {
      @Override
      public Future<?> start() {
        return Future.failedFuture(new FatalStartupException(2, "wal segment 3 is corrupt"));
      }
    });
    NodeVerticle node = new NodeVerticle(resources(),
        r -> List.of(recorder("a"), corrupt, recorder("c")));
    vertx.deployVerticle(node).onComplete(ctx.failing(e -> ctx.verify(() -> {
      assertEquals(FatalStartupException.class, e.getClass());
      assertEquals(2, ((FatalStartupException) e).exitCode());
      assertTrue(events.contains("stop a"), "Vert.x rolls back the started ones: " + events);
      assertTrue(events.stream().noneMatch(s -> s.endsWith(" c")), "c never starts: " + events);
      ctx.completeNow();
    })));
  }

  @Test
  void deployedByNameItParsesItsOwnConfig(Vertx vertx, VertxTestContext ctx) {
    assumeTrue(System.getenv().keySet().stream().noneMatch(k -> k.startsWith("RAFTSIMPLE_")));
    JsonObject conf = new JsonObject().put("port", 0).put("dataDir", dir.toString());
    vertx.deployVerticle(NodeVerticle.class.getName(), new DeploymentOptions().setConfig(conf))
        .onComplete(ctx.succeeding(id -> ctx.verify(() -> {
          assertTrue(dir.resolve("tls/node.crt").toFile().isFile(), "self-signed made at start");
          ctx.completeNow();
        })));
  }

  @Test
  void deployedByNameABadConfigFailsWithConfigException(Vertx vertx, VertxTestContext ctx) {
    vertx.deployVerticle(NodeVerticle.class.getName(),
            new DeploymentOptions().setConfig(new JsonObject().put("port", "x")))
        .onComplete(ctx.failing(e -> ctx.verify(() -> {
          assertEquals("port", ((ConfigException) e).key());
          ctx.completeNow();
        })));
  }
}
