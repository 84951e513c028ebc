package raftsimple.app;

import io.vertx.core.VertxOptions;
import io.vertx.core.spi.cluster.ClusterManager;
import raftsimple.config.NodeConfig;
import raftsimple.transport.eventbus.EventBusCluster;

/**
 * The clustered Vert.x behind {@code transport: "eventbus"}. The settings themselves (Hazelcast
 * TCP/IP discovery from the {@code eventbus} block, member attributes, event-bus host and TLS) live
 * in {@link EventBusCluster}, next to the transport that depends on them, so the transport tests
 * build exactly the same clustered Vert.x as the launcher.
 */
final class Clustering {
  private Clustering() {}

  static boolean clustered(NodeConfig config) {
    return "eventbus".equals(config.transport());
  }

  /** Binds the event bus to the configured host, with TLS when enabled; call before Vert.x starts. */
  static void prepare(VertxOptions options, NodeConfig config) {
    EventBusCluster.configure(options.getEventBusOptions(), config);
  }

  static ClusterManager clusterManager(NodeConfig config) {
    return EventBusCluster.clusterManager(config);
  }
}
