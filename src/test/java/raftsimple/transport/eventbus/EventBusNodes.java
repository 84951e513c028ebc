package raftsimple.transport.eventbus;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import raftsimple.config.ConfigParser;
import raftsimple.config.NodeConfig;

/** Configs and clustered Vert.x instances for the event-bus tests; TLS off unless certs given. */
final class EventBusNodes {
  private EventBusNodes() {}

  /**
   * A node config for {@code id} whose peers are {@code peers} and whose Hazelcast binds
   * {@code ports.get(id)}, listing every other port of {@code ports} as a member.
   */
  static NodeConfig config(Path dir, String id, List<String> peers, Map<String, Integer> ports) {
    JsonArray peerArray = new JsonArray();
    for (String p : peers) {
      peerArray.add(new JsonObject().put("id", p).put("url", "http://127.0.0.1:1"));
    }
    JsonArray members = new JsonArray();
    ports.forEach((n, port) -> {
      if (!n.equals(id)) {
        members.add("127.0.0.1:" + port);
      }
    });
    return ConfigParser.parse(new JsonObject()
        .put("nodeId", id).put("host", "127.0.0.1").put("port", 0)
        .put("dataDir", dir.resolve("data-" + id).toString())
        .put("peers", peerArray)
        .put("transport", "eventbus")
        .put("eventbus", new JsonObject().put("host", "127.0.0.1").put("port", ports.get(id))
            .put("members", members))
        .put("tls", new JsonObject().put("enabled", false)), Map.of(), dir);
  }

  /** A clustered Vert.x built as {@code app/Main} builds it. */
  static Future<Vertx> clustered(NodeConfig config) {
    VertxOptions options = new VertxOptions();
    EventBusCluster.configure(options.getEventBusOptions(), config);
    return Vertx.builder().with(options)
        .withClusterManager(EventBusCluster.clusterManager(config)).buildClustered();
  }

  /**
   * A foreign clustered Vert.x: a plain Hazelcast member (no raftsimple attributes) that joins
   * through {@code seedPort}; event bus without TLS.
   */
  static Future<Vertx> foreign(int ownPort, int seedPort) {
    Config hz = ConfigUtil.loadConfig();
    hz.setClusterName(EventBusCluster.CLUSTER_NAME);
    hz.setProperty("hazelcast.logging.type", "jdk");
    hz.setProperty("hazelcast.local.localAddress", "127.0.0.1");
    hz.setProperty("hazelcast.wait.seconds.before.join", "1");
    hz.getNetworkConfig().setPort(ownPort).setPortAutoIncrement(false);
    JoinConfig join = hz.getNetworkConfig().getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(List.of("127.0.0.1:" + seedPort));
    VertxOptions options = new VertxOptions()
        .setEventBusOptions(new EventBusOptions().setHost("127.0.0.1").setPort(0));
    return Vertx.builder().with(options).withClusterManager(new HazelcastClusterManager(hz))
        .buildClustered();
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }
}
