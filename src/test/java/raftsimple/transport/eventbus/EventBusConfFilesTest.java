package raftsimple.transport.eventbus;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftsimple.config.ConfigLoader;
import raftsimple.config.ConfigParser;
import raftsimple.config.NodeConfig;

/** conf/eventbus-node{1,2,3}.json form one event-bus cluster: they parse and agree. */
class EventBusConfFilesTest {
  @TempDir Path base;

  private NodeConfig parse(int k) throws IOException {
    Files.createDirectories(base.resolve("certs"));
    for (String name : List.of("ca.crt", "n" + k + ".crt", "n" + k + ".key")) {
      Files.writeString(base.resolve("certs").resolve(name), "placeholder");
    }
    return ConfigParser.parse(ConfigLoader.readConfArgument(
        Path.of("conf", "eventbus-node" + k + ".json").toString()), Map.of(), base);
  }

  @Test
  void theThreeNodesFormOneCluster() throws IOException {
    List<NodeConfig> nodes = new ArrayList<>();
    for (int k = 1; k <= 3; k++) {
      nodes.add(parse(k));
    }
    Set<String> clusterIds = new TreeSet<>();
    for (int k = 1; k <= 3; k++) {
      NodeConfig c = nodes.get(k - 1);
      assertEquals("eventbus", c.transport());
      assertEquals("n" + k, c.nodeId());
      assertEquals(5700 + k, c.eventbus().port());
      List<String> others = new ArrayList<>();
      for (int j = 1; j <= 3; j++) {
        if (j != k) {
          others.add("127.0.0.1:" + (5700 + j));
        }
      }
      assertEquals(others, c.eventbus().members());
      clusterIds.add(ClusterIdentity.of(c).clusterId());
    }
    assertEquals(1, clusterIds.size(), "every node derives the same cluster id");
  }
}
