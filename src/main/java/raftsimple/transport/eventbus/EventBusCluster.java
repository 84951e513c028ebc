package raftsimple.transport.eventbus;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import raftsimple.config.NodeConfig;

/**
 * How a node with {@code transport: "eventbus"} joins the clustered event bus (docs/TRANSPORTS.md
 * §3). Used by the launcher ({@code app/Clustering}) and by the transport tests, so that both build
 * exactly the same clustered Vert.x.
 *
 * <ul>
 *   <li>Hazelcast binds {@code eventbus.host:eventbus.port} and finds the other members only at
 *       {@code eventbus.members} (TCP/IP join: no multicast, no port auto-increment, so a node is
 *       where its config says or fails to start). Its member attributes announce this node's id,
 *       transport, wire version and cluster id ({@link ClusterIdentity}).
 *   <li>The event bus's own TCP server binds the same host on an ephemeral port, advertised
 *       through Hazelcast. With {@code tls.enabled} it speaks TLS with the node's PEM certificate
 *       and key, trusts only the cluster CA, and <em>requires</em> a client certificate: a process
 *       without a certificate from the CA cannot open an event-bus connection to a node, even if
 *       it joins the Hazelcast cluster (Hazelcast's own traffic is not encrypted: that is an
 *       enterprise feature; it carries membership and consumer registrations, never protocol
 *       messages).
 * </ul>
 */
public final class EventBusCluster {
  /** Hazelcast cluster name shared by every raftsimple event-bus node. */
  public static final String CLUSTER_NAME = "raftsimple";
  /** TCP connect timeout of event-bus connections: a dead peer fails fast instead of after 60 s. */
  static final int CONNECT_TIMEOUT_MS = 2_000;

  private EventBusCluster() {}

  /** Host, port and TLS of the event bus; call before the options are handed to Vert.x. */
  public static EventBusOptions configure(EventBusOptions options, NodeConfig config) {
    options.setHost(config.eventbus().host()).setPort(0).setConnectTimeout(CONNECT_TIMEOUT_MS);
    NodeConfig.Tls tls = config.tls();
    if (!tls.enabled()) {
      return options.setSsl(false);
    }
    String cert = tls.certPath();
    String key = tls.keyPath();
    String ca = tls.caPath();
    if (cert == null) {
      // Self-signed mode (config/SelfSigned writes <dataDir>/tls/node.crt and node.key before
      // Vert.x starts). The parser allows it only for a node without peers or join, so trusting
      // its own certificate keeps the bus encrypted and closed to every other process.
      cert = config.dataDir().resolve("tls").resolve("node.crt").toString();
      key = config.dataDir().resolve("tls").resolve("node.key").toString();
      ca = cert;
    }
    // The files were validated by TlsMaterial.load before Vert.x starts; Vert.x reads them itself.
    return options.setSsl(true)
        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(cert).setKeyPath(key))
        .setTrustOptions(new PemTrustOptions().addCertPath(ca))
        .setClientAuth(ClientAuth.REQUIRED);
  }

  public static ClusterManager clusterManager(NodeConfig config) {
    return new HazelcastClusterManager(hazelcast(config));
  }

  /**
   * The Hazelcast instance name of this node, unique per process, so the transport can find the
   * instance the launcher started ({@code Hazelcast.getHazelcastInstanceByName}).
   */
  public static String instanceName(NodeConfig config) {
    return "raftsimple-" + config.nodeId() + "@" + config.eventbus().host() + ":"
        + config.eventbus().port();
  }

  static Config hazelcast(NodeConfig config) {
    NodeConfig.EventBus eb = config.eventbus();
    Config hz = ConfigUtil.loadConfig(); // Vert.x's default-cluster.xml: the maps Vert.x needs
    hz.setClusterName(CLUSTER_NAME);
    hz.setInstanceName(instanceName(config));
    hz.setProperty("hazelcast.phone.home.enabled", "false");
    hz.setProperty("hazelcast.logging.type", "jdk");
    hz.setProperty("hazelcast.local.localAddress", eb.host());
    hz.setProperty("hazelcast.socket.bind.any", "false");
    hz.setProperty("hazelcast.wait.seconds.before.join", "1"); // default 5: slow local starts
    // Nodes started at the same moment can each form a cluster of one; Hazelcast merges them only
    // when its split-brain check runs (default: first after 300 s). Check early and often.
    hz.setProperty("hazelcast.merge.first.run.delay.seconds", "5");
    hz.setProperty("hazelcast.merge.next.run.delay.seconds", "5");
    NetworkConfig network = hz.getNetworkConfig();
    network.setPort(eb.port()).setPortAutoIncrement(false);
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(eb.members());
    ClusterIdentity.of(config).announce(hz.getMemberAttributeConfig());
    return hz;
  }
}
