package raftsimple.transport;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftsimple.config.ConfigParser;
import raftsimple.config.NodeConfig;

/**
 * {@link EventBusFixture} retries a cluster start only when it lost a port race: the predicate,
 * on real start failures of a clustered Vert.x built as the launcher builds it.
 */
class EventBusFixtureTest {
  @TempDir Path dir;

  private NodeConfig config(int hazelcastPort, JsonObject tls) {
    return ConfigParser.parse(new JsonObject()
        .put("nodeId", "n1").put("host", "127.0.0.1").put("port", 0)
        .put("dataDir", dir.resolve("data").toString())
        .put("peers", new JsonArray().add(new JsonObject().put("id", "n2")
            .put("url", (tls.getBoolean("enabled", true) ? "https" : "http") + "://127.0.0.1:1")))
        .put("transport", "eventbus")
        .put("eventbus", new JsonObject().put("host", "127.0.0.1").put("port", hazelcastPort)
            .put("members", new JsonArray().add("127.0.0.1:" + TestCerts.freePort())))
        .put("tls", tls), Map.of(), dir);
  }

  @Test
  void aHazelcastPortTakenByAnotherSocket_isAPortRace() throws Exception {
    QuietHazelcast.install();
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress("127.0.0.1", 0));
      NodeConfig c = config(taken.getLocalPort(), new JsonObject().put("enabled", false));
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> EventBusFixture.await(EventBusFixture.clustered(c)));
      assertTrue(EventBusFixture.isPortRace(e), "not recognised as a port race: " + e);
    }
  }

  /** A start that fails for another reason (a TLS file is missing) must not be retried. */
  @Test
  void anotherStartFailure_isNotAPortRace() throws Exception {
    QuietHazelcast.install();
    Path certs = TestCerts.generate(dir.resolve("certs"), "n1");
    NodeConfig c = config(TestCerts.freePort(), new JsonObject()
        .put("certPath", certs.resolve("n1.crt").toString())
        .put("keyPath", certs.resolve("n1.key").toString())
        .put("caPath", certs.resolve("ca.crt").toString()));
    java.nio.file.Files.delete(certs.resolve("n1.key")); // after the parser checked it
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> EventBusFixture.await(EventBusFixture.clustered(c)));
    assertFalse(EventBusFixture.isPortRace(e), "taken for a port race: " + e);
  }
}
