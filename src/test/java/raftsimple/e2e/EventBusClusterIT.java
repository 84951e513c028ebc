package raftsimple.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link ClusterIT}'s core claims for {@code "transport": "eventbus"}: three processes whose peer
 * traffic runs over the clustered, TLS-encrypted Vert.x event bus (Hazelcast membership), a
 * concurrent client on every node all get 201, the nodes converge to one verified log holding
 * every acknowledged entry exactly once, every node lists three reachable voters, and a
 * linearizable read on another node sees the write just acknowledged.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EventBusClusterIT {
  @RegisterExtension static final E2e E2E = new E2e();
  static Cluster cluster;
  static Api api;

  @BeforeAll
  static void startCluster() {
    cluster = E2E.eventBusCluster(3, k -> null);
    api = E2E.api();
    // The nodes would converge over HTTPS too: make sure the event bus is what carries peer traffic.
    for (NodeProcess n : cluster.nodes) {
      assertTrue(n.output().contains("transport eventbus: node " + n.id), n.id + " runs the event-bus transport:\n"
          + n.logTail(40));
    }
  }

  @Test
  void concurrentClientsOnEveryNodeConvergeOnOneLogWithEveryAcknowledgedEntryOnce() throws IOException {
    ClusterScenarios.concurrentClientsOnEveryNode(api, cluster, 150, "EventBusClusterIT");
    cluster.awaitAllReachable(Duration.ofSeconds(15));
  }

  @Test
  void aLinearizableReadOnAnotherNodeSeesTheWriteJustAcknowledged() throws IOException {
    ClusterScenarios.linearizableReadsOnAnotherNodeSeeTheWrite(api, cluster);
  }
}
