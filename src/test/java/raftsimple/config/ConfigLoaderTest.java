package raftsimple.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(VertxExtension.class)
class ConfigLoaderTest {
  @TempDir Path dir;

  private static void assumeNoOverridesInThisEnvironment() {
    assumeTrue(System.getenv().keySet().stream().noneMatch(k -> k.startsWith("RAFTSIMPLE_")),
        "RAFTSIMPLE_* variables are set for this test run");
  }

  @Test
  void loadsTheJsonStoreAndIgnoresUnrelatedEnvironmentVariables(Vertx vertx, VertxTestContext ctx) {
    assumeNoOverridesInThisEnvironment();
    assumeTrue(!System.getenv().isEmpty(), "needs some environment to ignore");
    JsonObject conf = new JsonObject().put("nodeId", "x1").put("port", 0)
        .put("tls", new JsonObject().put("enabled", false));
    ConfigLoader.load(vertx, conf).onComplete(ctx.succeeding(c -> ctx.verify(() -> {
      assertEquals("x1", c.nodeId());
      assertEquals(0, c.port());
      ctx.completeNow();
    })));
  }

  @Test
  void aConfigErrorFailsTheFuture(Vertx vertx, VertxTestContext ctx) {
    assumeNoOverridesInThisEnvironment();
    ConfigLoader.load(vertx, new JsonObject().put("bogus", 1))
        .onComplete(ctx.failing(e -> ctx.verify(() -> {
          assertEquals("bogus", ((ConfigException) e).key());
          ctx.completeNow();
        })));
  }

  @Test
  void loadBlockingThrowsTheConfigException() {
    assumeNoOverridesInThisEnvironment();
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.loadBlocking(
        new JsonObject().put("port", "x"), Duration.ofSeconds(10)));
    assertEquals("port", e.key());
    assertEquals(7, ConfigLoader.loadBlocking(new JsonObject().put("port", 7),
        Duration.ofSeconds(10)).port());
  }

  @Test
  void confArgumentReadsAFileOrInlineJson() throws IOException {
    Path file = Files.writeString(dir.resolve("c.json"), "{\"port\": 1}");
    assertEquals(new JsonObject().put("port", 1), ConfigLoader.readConfArgument(file.toString()));
    assertEquals(new JsonObject().put("port", 2), ConfigLoader.readConfArgument(" {\"port\": 2}"));
  }

  @Test
  void confArgumentErrorsNameTheFile() throws IOException {
    Path missing = dir.resolve("missing.json");
    assertFileError(missing.toString(), missing + "': does not exist");
    Path broken = Files.writeString(dir.resolve("broken.json"), "{\"port\": 1,");
    assertFileError(broken.toString(), broken + "': is not valid JSON: ");
    Path array = Files.writeString(dir.resolve("array.json"), "[1]");
    assertFileError(array.toString(), array + "': must hold a JSON object");
    Path empty = Files.writeString(dir.resolve("empty.json"), "");
    assertFileError(empty.toString(), empty + "': is not valid JSON");
    assertFileError(dir.toString(), dir + "': is a directory");
    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigLoader.readConfArgument("{\"port\":"));
    assertTrue(e.getMessage().startsWith("inline -conf JSON is not valid: "), e.getMessage());
  }

  private static void assertFileError(String arg, String fragment) {
    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigLoader.readConfArgument(arg));
    assertEquals("-conf", e.key());
    assertTrue(e.getMessage().startsWith("config file '"), e.getMessage());
    assertTrue(e.getMessage().contains(fragment), e.getMessage());
  }
}
