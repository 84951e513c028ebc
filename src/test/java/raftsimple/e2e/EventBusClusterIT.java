package raftsimple.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
    List<Writers> writers = new ArrayList<>();
    for (NodeProcess n : cluster.nodes) {
      // One client per node, as in ClusterIT (more starve one node's entries: a known product bug).
      writers.add(new Writers(api, n, 1, 150, (t, s) -> Checks.putOrAppend(n, t, s)).start());
    }
    List<Writers.Outcome> outcomes = new ArrayList<>();
    writers.forEach(w -> outcomes.addAll(w.join()));
    System.out.println("EventBusClusterIT load: " + Writers.summary(outcomes));
    List<Writers.Outcome> bad = outcomes.stream().filter(o -> !o.acked()).toList();
    assertTrue(bad.isEmpty(), bad.size() + " of " + outcomes.size() + " requests were not 201 with every node up: "
        + bad.stream().limit(10).toList() + "\n" + cluster.describe());

    long length = cluster.awaitConverged(Duration.ofSeconds(30));
    List<LogChain.Row> log = Checks.sameVerifiedLog(api, cluster);
    assertEquals(length, log.size());
    Checks.acknowledgedExactlyOnce(log, outcomes);
    Checks.noPayloadTwice(log);

    for (NodeProcess n : cluster.nodes) {
      Api.Resp ready = api.get(n.url, "/ready");
      assertEquals(200, ready.status(), n.id + " " + ready);
      Api.Resp members = api.get(n.url, "/cluster");
      assertEquals(3, members.json().get("members").size(), members.toString());
      for (JsonNode m : members.json().get("members")) {
        assertEquals("voter", m.get("role").asText(), members.toString());
      }
    }
    cluster.awaitAllReachable(Duration.ofSeconds(15));
  }

  @Test
  void aLinearizableReadOnAnotherNodeSeesTheWriteJustAcknowledged() throws IOException {
    for (int i = 0; i < 30; i++) {
      NodeProcess writer = cluster.node(1 + i % 3);
      NodeProcess reader = cluster.node(1 + (i + 1) % 3);
      Api.Resp w = api.submit(writer.url, "{\"op\":\"put\",\"key\":\"lin\",\"value\":" + i + "}");
      assertEquals(201, w.status(), w.toString());
      Api.Resp r = api.get(reader.url, "/kv/lin?consistency=linearizable");
      assertEquals(200, r.status(), r.toString());
      assertEquals(i, r.json().get("value").asInt(), "read on " + reader.id + " after a write on " + writer.id + ": " + r);
      assertTrue(r.num("index") >= w.num("index"), "read index " + r + " before the write " + w);
    }
  }
}
