package raftsimple.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftsimple.e2e.Roles.READ_ONLY;
import static raftsimple.e2e.Roles.VOTER;
import static raftsimple.e2e.Roles.awaitRoles;
import static raftsimple.e2e.Roles.roles;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link ClusterIT}'s core claims for {@code "transport": "eventbus"}: three processes whose peer
 * traffic runs over the clustered, TLS-encrypted Vert.x event bus (Hazelcast membership), a
 * concurrent client on every node all get 201, the nodes converge to one verified log holding
 * every acknowledged entry exactly once, every node lists three reachable voters, and a
 * linearizable read on another node sees the write just acknowledged. Then the membership of
 * {@code MembershipIT} over the event bus (docs/TRANSPORTS.md §3.8): a one-node cluster grows by
 * {@code join} to three voters and a read-only member while a client writes, a voter is removed
 * and leaves the Hazelcast cluster; and a node that joins after the log was compacted installs a
 * snapshot.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class EventBusClusterIT {
  @RegisterExtension static final E2e E2E = new E2e();
  /** The membership tests' own nodes, torn down after each. */
  @RegisterExtension final E2e each = new E2e();
  static Cluster cluster;
  static Api api;

  @BeforeAll
  static void startCluster() {
    cluster = E2E.eventBusCluster(3, k -> null);
    api = E2E.api();
    // The nodes would converge over HTTPS too: make sure the event bus is what carries peer traffic.
    for (NodeProcess n : cluster.nodes) {
      assertEventBus(n);
    }
  }

  private static void assertEventBus(NodeProcess n) {
    assertTrue(n.output().contains("transport eventbus: node " + n.id), n.id + " runs the event-bus transport:\n"
        + n.logTail(40));
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

  // ---------------------------------------------------------------- membership

  private final List<Writers> clients = new ArrayList<>();

  private Writers client(Api a, NodeProcess n, int threads, long perThread, Writers.Gen gen) {
    Writers w = new Writers(a, n, threads, perThread, gen);
    clients.add(w);
    return w;
  }

  @AfterEach
  void stopClients() {
    clients.forEach(Writers::signalStop);
  }

  /**
   * Event-bus nodes on free ports: n1 founds a cluster of one; every other node lists only n1's
   * cluster address and URL and joins through it ({@code join}), like a node joining over HTTPS.
   */
  private final class EventBusJoining implements ClusterScenarios.Joining {
    private final int[] ports = Ports.free(10); // client ports 0..4, cluster ports 5..9
    private final ObjectNode extra;

    EventBusJoining(ObjectNode extra) {
      this.extra = extra;
    }

    private int k(String id) {
      return Integer.parseInt(id.substring(1)) - 1;
    }

    private ObjectNode config(String id, int... memberBusPorts) {
      ObjectNode c = E2e.eventBus(ports[5 + k(id)], memberBusPorts);
      if (extra != null) {
        c.setAll(extra.deepCopy());
      }
      return c;
    }

    @Override
    public NodeProcess founder() {
      return each.node("n1", ports[0], List.of(), config("n1")).start().awaitReady();
    }

    /** A removed node leaves the Hazelcast cluster after max(3 s, 10 heartbeats): wait for it. */
    @Override
    public void afterRemoval(NodeProcess removed) {
      Await.until(removed.id + " to leave the event-bus cluster", Duration.ofSeconds(30),
          () -> removed.output().contains("node " + removed.id + " left the event-bus cluster"));
    }

    @Override
    public NodeProcess joiner(String id, NodeProcess via, boolean readOnly) {
      ObjectNode c = config(id, ports[5 + k(via.id)]);
      c.put("join", via.url.toString());
      if (readOnly) {
        c.put("readOnly", true);
      }
      return each.node(id, ports[k(id)], List.of(), c);
    }
  }

  /**
   * MembershipIT's grow / read-only / remove over the event bus. A joining node learns the cluster
   * id from the members it finds on Hazelcast; the removed voter leaves the Hazelcast cluster (its
   * log says so, and the members see it go) and keeps answering clients.
   */
  @Test
  void growByJoinWhileAClientWritesThenRemoveAVoter_overTheEventBus() throws IOException {
    ClusterScenarios.Grown g = ClusterScenarios.growWhileAClientWritesThenRemoveAVoter(each.api(),
        each.memberApi("n1"), new EventBusJoining(null), this::client,
        new Phases("growByJoinWhileAClientWritesThenRemoveAVoter_overTheEventBus"));
    for (NodeProcess n : g.all()) {
      assertEventBus(n);
    }
    for (NodeProcess n : List.of(g.n2(), g.n3(), g.n4())) {
      assertTrue(n.output().contains("learned the event-bus cluster id"), n.id + ":\n" + n.logTail(40));
    }
    assertTrue(g.n3().output().contains("node n3 left the event-bus cluster"), g.n3().logTail(40));
    Await.until("n1's audit to see n3 leave Hazelcast", Duration.ofSeconds(30),
        () -> g.n1().output().contains("event-bus cluster: peer n3 left"));
  }

  /**
   * A read-only member joins an event-bus cluster of one after its log was compacted into
   * snapshots: it receives the snapshot (streamed over HTTPS from n1's client port, whatever the
   * peer transport) and the log after it, serves the state, and every acknowledged entry is in a
   * verified log that both nodes hold.
   */
  @Test
  void aMemberJoiningAfterCompactionInstallsASnapshot_overTheEventBus() throws IOException {
    Api a = each.api();
    ObjectNode snapshots = Api.JSON.createObjectNode().put("snapshotEveryEntries", 200)
        .put("snapshotRetainEntries", 100);
    EventBusJoining joining = new EventBusJoining(snapshots);
    NodeProcess n1 = joining.founder();
    try (LogTap tap = new LogTap(a, n1).start()) {
      AtomicLong sent = new AtomicLong();
      Writers w = client(a, n1, 2, 350, (t, s) -> {
        tap.throttle(sent.incrementAndGet(), 50);
        return Checks.putOrAppend(n1, t, s);
      }).start();
      List<Writers.Outcome> outcomes = w.join();
      ClusterScenarios.assertAllAcked(outcomes, "the node was up", () -> n1.logTail(30));
      Api.Resp gone = a.get(n1.url, "/log?from=1&limit=1");
      assertEquals(410, gone.status(), "n1 compacted its log: " + gone);

      NodeProcess n2 = joining.joiner("n2", n1, true).start().awaitReady();
      Cluster both = new Cluster(a, List.of(n1, n2), null);
      awaitRoles(a, both.nodes, roles("n1", VOTER, "n2", READ_ONLY));
      long length = both.awaitConverged(Roles.CONVERGE);
      assertTrue(n2.output().contains("installed the snapshot at length"), n2.logTail(30));
      assertTrue(n2.output().contains("checksum verified"), n2.logTail(30));
      Api.Resp fromOne = a.get(n2.url, "/log?from=1&limit=1");
      assertEquals(410, fromOne.status(), "n2 started from the snapshot: " + fromOne);

      List<LogChain.Row> full = tap.awaitLength(length, Roles.CONVERGE);
      assertEquals(a.get(n1.url, "/head").str("head"), LogChain.verify(full));
      Checks.acknowledgedExactlyOnce(full, outcomes);
      Checks.noPayloadTwice(full);
      Checks.holdTheLog(a, both, full);
      Map<String, JsonNode> expected = Kv.replay(full);
      Map<String, JsonNode> sample = new TreeMap<>();
      expected.entrySet().stream().limit(50).forEach(e -> sample.put(e.getKey(), e.getValue()));
      assertEquals(sample, Kv.read(a, n2.url, sample.keySet(), false), "the state n2 restored");
    }
  }
}
