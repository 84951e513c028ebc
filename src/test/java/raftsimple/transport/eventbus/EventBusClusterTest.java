package raftsimple.transport.eventbus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.config.Config;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftsimple.config.ConfigParser;
import raftsimple.config.NodeConfig;
import raftsimple.transport.WireCodec;

/** The settings the launcher gives the clustered Vert.x; no cluster is started here. */
class EventBusClusterTest {
  @TempDir Path dir;

  private NodeConfig config(String id, String peersJson, String tls) {
    return ConfigParser.parse(new JsonObject("{\"nodeId\": \"" + id + "\", \"peers\": " + peersJson
        + ", \"transport\": \"eventbus\", \"eventbus\": {\"host\": \"127.0.0.1\", \"port\": 5701, "
        + "\"members\": [\"127.0.0.1:5702\", \"127.0.0.1:5703\"]}, \"tls\": " + tls + "}"),
        Map.of(), dir);
  }

  private static final String PEERS = "[{\"id\": \"n2\", \"url\": \"http://127.0.0.1:2\"}, "
      + "{\"id\": \"n3\", \"url\": \"http://127.0.0.1:3\"}]";

  @Test
  void hazelcast_joinsOnlyTheListedMembers_andAnnouncesTheNode() {
    Config hz = EventBusCluster.hazelcast(config("n1", PEERS, "{\"enabled\": false}"));
    assertEquals(EventBusCluster.CLUSTER_NAME, hz.getClusterName());
    assertEquals(5701, hz.getNetworkConfig().getPort());
    assertFalse(hz.getNetworkConfig().isPortAutoIncrement());
    assertFalse(hz.getNetworkConfig().getJoin().getMulticastConfig().isEnabled());
    assertEquals(List.of("127.0.0.1:5702", "127.0.0.1:5703"),
        hz.getNetworkConfig().getJoin().getTcpIpConfig().getMembers());
    Map<String, String> attributes = hz.getMemberAttributeConfig().getAttributes();
    assertEquals("n1", attributes.get(ClusterIdentity.ATTR_NODE));
    assertEquals("eventbus", attributes.get(ClusterIdentity.ATTR_TRANSPORT));
    assertEquals(Integer.toString(WireCodec.VERSION), attributes.get(ClusterIdentity.ATTR_WIRE));
    assertEquals("raftsimple-n1@127.0.0.1:5701", hz.getInstanceName());
  }

  @Test
  void theClusterId_isTheSameOnEveryVoter_andDiffersForOtherVoterSets() {
    String n1 = ClusterIdentity.of(config("n1", PEERS, "{\"enabled\": false}")).clusterId();
    String n2 = ClusterIdentity.of(config("n2", "[{\"id\": \"n1\", \"url\": \"http://h:1\"}, "
        + "{\"id\": \"n3\", \"url\": \"http://h:3\"}]", "{\"enabled\": false}")).clusterId();
    String other = ClusterIdentity.of(config("n1", "[{\"id\": \"n2\", \"url\": \"http://h:2\"}]",
        "{\"enabled\": false}")).clusterId();
    assertEquals(n1, n2);
    assertNotEquals(n1, other);
    assertTrue(n1.matches("[0-9a-f]{16}"), n1);
  }

  @Test
  void withTls_theBusUsesTheNodesPemFiles_andRequiresClientCertificates() throws Exception {
    for (String f : List.of("n1.crt", "n1.key", "ca.crt")) {
      java.nio.file.Files.writeString(dir.resolve(f), "only the paths are used here");
    }
    String tls = "{\"certPath\": \"n1.crt\", \"keyPath\": \"n1.key\", \"caPath\": \"ca.crt\"}";
    NodeConfig c = config("n1", PEERS.replace("http:", "https:"), tls);
    EventBusOptions o = EventBusCluster.configure(new EventBusOptions(), c);
    assertTrue(o.isSsl());
    assertEquals(ClientAuth.REQUIRED, o.getClientAuth());
    assertEquals(List.of(c.tls().certPath()), ((PemKeyCertOptions) o.getKeyCertOptions()).getCertPaths());
    assertEquals(List.of(c.tls().caPath()), ((PemTrustOptions) o.getTrustOptions()).getCertPaths());
    assertEquals("127.0.0.1", o.getHost());
    assertEquals(0, o.getPort());
  }

  @Test
  void withoutTls_theBusIsPlain() {
    EventBusOptions o = EventBusCluster.configure(new EventBusOptions(),
        config("n1", PEERS, "{\"enabled\": false}"));
    assertFalse(o.isSsl());
  }

  /**
   * A joining node has no founding voters to derive the cluster id from: it announces none until it
   * learned one from the members (first start), then keeps it in its data dir and announces it.
   */
  @Test
  void aJoiningNodeAnnouncesTheClusterIdItLearned_onceItHasOne() throws Exception {
    NodeConfig joiner = ConfigParser.parse(new JsonObject("{\"nodeId\": \"n4\", \"join\": \"http://127.0.0.1:1\","
        + " \"transport\": \"eventbus\", \"eventbus\": {\"host\": \"127.0.0.1\", \"port\": 5704,"
        + " \"members\": [\"127.0.0.1:5701\"]}, \"tls\": {\"enabled\": false}, \"dataDir\": \"data/n4\"}"),
        Map.of(), dir);
    ClusterIdentity before = ClusterIdentity.of(joiner);
    assertEquals(null, before.clusterId());
    assertFalse(before.attributes().containsKey(ClusterIdentity.ATTR_CLUSTER));
    assertFalse(EventBusCluster.hazelcast(joiner).getMemberAttributeConfig().getAttributes()
        .containsKey(ClusterIdentity.ATTR_CLUSTER));

    String founders = ClusterIdentity.of(config("n1", PEERS, "{\"enabled\": false}")).clusterId();
    ClusterIdentity.keep(joiner, founders);
    assertEquals(founders, ClusterIdentity.of(joiner).clusterId());
    assertEquals(founders, EventBusCluster.hazelcast(joiner).getMemberAttributeConfig().getAttributes()
        .get(ClusterIdentity.ATTR_CLUSTER));

    java.nio.file.Files.writeString(joiner.dataDir().resolve(ClusterIdentity.LEARNED_FILE), "not an id");
    IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
        () -> ClusterIdentity.of(joiner));
    assertTrue(e.getMessage().contains(ClusterIdentity.LEARNED_FILE), e.getMessage());
  }
}
