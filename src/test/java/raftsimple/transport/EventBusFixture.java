package raftsimple.transport;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import raftsimple.config.ConfigParser;
import raftsimple.config.NodeConfig;
import raftsimple.transport.eventbus.ClusterIdentity;
import raftsimple.transport.eventbus.EventBusCluster;
import raftsimple.transport.eventbus.EventBusTransportVerticle;

/**
 * Three nodes of the event-bus transport: each a clustered Vert.x built exactly as the launcher
 * builds it ({@link EventBusCluster}: Hazelcast TCP/IP discovery on free loopback ports, event-bus
 * TLS with client certificates required), running the event-bus transport verticle. n4 is listed
 * (id and Hazelcast address) but never starts. Nodes start one after the other, so each joins the
 * cluster the first one formed. The stranger (created on first use) is a foreign clustered Vert.x
 * that joins the same Hazelcast cluster and speaks TLS, with a certificate from another CA.
 */
public final class EventBusFixture implements TransportFixture {
  private static final System.Logger LOG = System.getLogger(EventBusFixture.class.getName());
  private static final int ATTEMPTS = 3;

  private final Map<String, Vertx> vertxes = new TreeMap<>();
  private final Map<String, NodeConfig> configs = new TreeMap<>();
  private final Map<String, Integer> hzPorts = new TreeMap<>();
  private final Map<String, MeterRegistry> registries = new TreeMap<>();
  private Path dir;
  private Path certs;
  private Path strangerCerts;
  private Vertx stranger;

  @Override
  public void start(Path dir) throws Exception {
    QuietHazelcast.install();
    this.dir = dir;
    certs = TestCerts.generate(dir.resolve("certs"), "n1", "n2", "n3", "n4");
    strangerCerts = TestCerts.generate(dir.resolve("stranger"), "n1"); // another CA, same name
    for (int attempt = 1; ; attempt++) {
      try {
        startNodes();
        return;
      } catch (Exception e) {
        close();
        // A "free" port may have been taken between picking and binding it: only that is retried,
        // on new ports. Anything else is a failure of what the test is about.
        if (attempt == ATTEMPTS || !isPortRace(e)) {
          throw e;
        }
        LOG.log(Level.WARNING, "cluster start attempt " + attempt + " lost a port race, retrying "
            + "on new ports: " + e);
      }
    }
  }

  /**
   * True when {@code e} is a server socket that could not bind its port (taken since {@link
   * TestCerts#freePort} picked it): a {@link java.net.BindException} somewhere in the causes.
   * Hazelcast reports its own as "ServerSocket bind failed" with the BindException as the cause.
   */
  public static boolean isPortRace(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.net.BindException) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  private void startNodes() throws Exception {
    for (String n : ALL) {
      hzPorts.put(n, TestCerts.freePort());
    }
    for (String n : RUNNING) {
      configs.put(n, config(n));
      startNode(n);
    }
  }

  private void startNode(String n) throws Exception {
    NodeConfig c = configs.get(n);
    Vertx v = await(clustered(c));
    vertxes.put(n, v);
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    registries.put(n, registry);
    await(v.deployVerticle(new EventBusTransportVerticle(c, registry)));
  }

  @Override
  public MeterRegistry registry(String node) {
    return registries.get(node);
  }

  /** Closes the node's clustered Vert.x: its Hazelcast member leaves, its registrations go. */
  @Override
  public void stop(String node) throws Exception {
    await(vertxes.remove(node).close());
  }

  /** The same Hazelcast port and config: the member rejoins where its peers expect it. */
  @Override
  public void restart(String node) throws Exception {
    startNode(node);
  }

  /** A clustered Vert.x for {@code config}, built as {@code app/Main} builds it. */
  public static Future<Vertx> clustered(NodeConfig config) {
    VertxOptions options = new VertxOptions();
    EventBusCluster.configure(options.getEventBusOptions(), config);
    return Vertx.builder().with(options)
        .withClusterManager(EventBusCluster.clusterManager(config)).buildClustered();
  }

  NodeConfig config(String n) {
    JsonArray peers = new JsonArray();
    JsonArray members = new JsonArray();
    for (String p : ALL) {
      if (!p.equals(n)) {
        peers.add(new JsonObject().put("id", p).put("url", "https://127.0.0.1:1"));
        members.add("127.0.0.1:" + hzPorts.get(p));
      }
    }
    return ConfigParser.parse(new JsonObject()
        .put("nodeId", n).put("host", "127.0.0.1").put("port", 0)
        .put("dataDir", dir.resolve("data-" + n).toString())
        .put("peers", peers)
        .put("transport", "eventbus")
        .put("eventbus", new JsonObject().put("host", "127.0.0.1").put("port", hzPorts.get(n))
            .put("members", members))
        .put("tls", new JsonObject()
            .put("certPath", certs.resolve(n + ".crt").toString())
            .put("keyPath", certs.resolve(n + ".key").toString())
            .put("caPath", certs.resolve("ca.crt").toString())), Map.of(), dir);
  }

  @Override
  public Vertx vertx(String node) {
    return vertxes.get(node);
  }

  @Override
  public Future<Void> injectAsMember(String target, Buffer body) {
    return request(vertx("n1"), target, body);
  }

  @Override
  public Future<Void> injectAsStranger(String target, Buffer body) {
    Future<Vertx> s = stranger != null ? Future.succeededFuture(stranger) : strangerVertx()
        .onSuccess(v -> stranger = v);
    return s.compose(v -> request(v, target, body));
  }

  private Future<Void> request(Vertx from, String target, Buffer body) {
    // Short: the stranger's request ends by this timeout after its TLS handshake is refused.
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(1_000)
        .addHeader(ClusterIdentity.HEADER_CLUSTER, ClusterIdentity.of(configs.get(target)).clusterId());
    return from.eventBus().request(EventBusTransportVerticle.peerAddress(target), body, options)
        .mapEmpty();
  }

  /**
   * Joins the Hazelcast cluster through n1 (nothing stops that: open-source Hazelcast does not
   * authenticate members) and offers TLS with a certificate the cluster CA did not sign.
   */
  private Future<Vertx> strangerVertx() {
    Config hz = ConfigUtil.loadConfig();
    hz.setClusterName(EventBusCluster.CLUSTER_NAME);
    hz.setProperty("hazelcast.logging.type", "jdk");
    hz.setProperty("hazelcast.local.localAddress", "127.0.0.1");
    hz.setProperty("hazelcast.wait.seconds.before.join", "1");
    hz.getNetworkConfig().setPort(TestCerts.freePort()).setPortAutoIncrement(false);
    JoinConfig join = hz.getNetworkConfig().getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(List.of("127.0.0.1:" + hzPorts.get("n1")));
    VertxOptions options = new VertxOptions().setEventBusOptions(new EventBusOptions()
        .setHost("127.0.0.1").setPort(0).setSsl(true).setTrustAll(true)
        .setKeyCertOptions(new PemKeyCertOptions()
            .setCertPath(strangerCerts.resolve("n1.crt").toString())
            .setKeyPath(strangerCerts.resolve("n1.key").toString())));
    return Vertx.builder().with(options).withClusterManager(new HazelcastClusterManager(hz))
        .buildClustered();
  }

  @Override
  public void close() throws Exception {
    List<Vertx> all = new ArrayList<>(vertxes.values());
    if (stranger != null) {
      all.add(stranger);
    }
    // Close the non-first members first: the last one standing needs no partition migration.
    java.util.Collections.reverse(all);
    for (Vertx v : all) {
      await(v.close());
    }
    vertxes.clear();
    configs.clear();
    stranger = null;
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }
}
