package raftsimple.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The runnable configs in conf/ parse; relative paths as if run from a checkout with certs/. */
class ConfFilesTest {
  private static final Path CONF = Path.of("conf"); // surefire runs in the module directory

  @TempDir Path base;

  private NodeConfig parse(String file) throws IOException {
    Files.createDirectories(base.resolve("certs"));
    for (String name : List.of("ca.crt", "n1.crt", "n1.key", "n2.crt", "n2.key", "n3.crt",
        "n3.key")) {
      Files.writeString(base.resolve("certs").resolve(name), "placeholder");
    }
    return ConfigParser.parse(ConfigLoader.readConfArgument(CONF.resolve(file).toString()),
        Map.of(), base);
  }

  @Test
  void singleIsTheDefaultNode() throws IOException {
    NodeConfig c = parse("single.json");
    assertEquals("n1", c.nodeId());
    assertEquals(6969, c.port());
    assertEquals(base.resolve("data"), c.dataDir());
    assertTrue(c.peers().isEmpty());
    assertEquals(new NodeConfig.Tls(true, null, null, null), c.tls());
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3})
  void clusterNodesListTheOtherTwo(int k) throws IOException {
    NodeConfig c = parse("node" + k + ".json");
    assertEquals("n" + k, c.nodeId());
    assertEquals(6968 + k, c.port());
    assertEquals(base.resolve("data/n" + k), c.dataDir());
    assertEquals(base.resolve("certs/n" + k + ".crt").toString(), c.tls().certPath());
    assertEquals(base.resolve("certs/ca.crt").toString(), c.tls().caPath());
    assertEquals(List.of("n1", "n2", "n3"), c.initialVoters());
    for (NodeConfig.Peer p : c.peers()) {
      int j = Integer.parseInt(p.id().substring(1));
      assertEquals("https://127.0.0.1:" + (6968 + j), p.url());
    }
    assertNull(c.join());
  }
}
