package raftsimple.app;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import io.vertx.core.VertxOptions;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import raftsimple.config.NodeConfig;

/**
 * The clustered Vert.x behind {@code transport: "eventbus"}: a Hazelcast cluster manager bound to
 * {@code eventbus.host:eventbus.port} that finds the other members only at the listed
 * {@code eventbus.members} (TCP/IP discovery: no multicast, no port auto-increment, so a node is
 * where its config says or fails to start). The event bus's own TCP server binds to the same host
 * on an ephemeral port, which the cluster manager advertises.
 */
final class Clustering {
  static final String CLUSTER_NAME = "raftsimple";

  private Clustering() {}

  static boolean clustered(NodeConfig config) {
    return "eventbus".equals(config.transport());
  }

  /** Binds the event bus to the configured host; call before the options are handed to Vert.x. */
  static void prepare(VertxOptions options, NodeConfig config) {
    options.getEventBusOptions().setHost(config.eventbus().host()).setPort(0);
  }

  static ClusterManager clusterManager(NodeConfig config) {
    return new HazelcastClusterManager(hazelcast(config.eventbus()));
  }

  static Config hazelcast(NodeConfig.EventBus eb) {
    Config hz = ConfigUtil.loadConfig(); // Vert.x's default-cluster.xml: maps Vert.x needs
    hz.setClusterName(CLUSTER_NAME);
    hz.setProperty("hazelcast.phone.home.enabled", "false");
    hz.setProperty("hazelcast.logging.type", "jdk");
    hz.setProperty("hazelcast.local.localAddress", eb.host());
    hz.setProperty("hazelcast.socket.bind.any", "false");
    hz.setProperty("hazelcast.wait.seconds.before.join", "1"); // default 5: slow local starts
    NetworkConfig network = hz.getNetworkConfig();
    network.setPort(eb.port()).setPortAutoIncrement(false);
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(eb.members());
    return hz;
  }
}
