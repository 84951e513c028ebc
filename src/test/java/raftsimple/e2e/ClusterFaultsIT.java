package raftsimple.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftsimple.e2e.ClusterScenarios.assertAllAcked;
import static raftsimple.e2e.ClusterScenarios.assertConvergedWithEveryAcknowledgedOnce;
import static raftsimple.e2e.ClusterScenarios.total;
import static raftsimple.e2e.ClusterScenarios.writers;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Faults in a three-node HTTPS cluster whose peer links run through {@link TcpProxy}s: a node
 * killed with SIGKILL under load (the others keep committing; it restarts and catches up), and a
 * node cut off from both peers (the majority keeps committing, the isolated node answers 503 and
 * never a wrong 201, and catches up after healing). Afterwards every log is the same verified chain
 * and every acknowledged entry is in it exactly once.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ClusterFaultsIT {
  /** The isolated node's request timeout: its 503s must come about this soon. */
  static final int ISOLATED_REQUEST_TIMEOUT_MS = 3000;
  /** What a reply may take beyond a node's request timeout on a loaded 2-core machine. */
  static final long SLACK_MS = 4000;

  @RegisterExtension final E2e e2e = new E2e();

  @Test
  void aNodeKilledMidLoadLeavesTheOthersCommittingAndCatchesUpAfterARestart() throws IOException {
    Phases phases = new Phases("ClusterFaultsIT kill -9");
    Cluster c = e2e.cluster(3, true, null);
    phases.mark("start");
    ClusterScenarios.killMidLoadThenRestart(e2e.api(), c, phases);
  }

  @Test
  void anIsolatedNodeAnswers503WhileTheMajorityCommitsAndCatchesUpAfterHealing() throws IOException {
    Cluster c = e2e.clusterPerNode(3, true, k -> k == 3
        ? Api.JSON.createObjectNode().put("requestTimeoutMs", ISOLATED_REQUEST_TIMEOUT_MS) : null);
    Api api = e2e.api();
    NodeProcess isolated = c.node(3);
    List<Writers> majority = List.of(writers(api, c.node(1)), writers(api, c.node(2)));
    Await.until("progress before the partition", Duration.ofSeconds(60), () -> total(majority) >= 40);

    for (int from = 1; from <= 3; from++) {
      for (int to = 1; to <= 3; to++) {
        if (from != to) {
          assertTrue(c.link(from, to).accepted() > 0, "peer traffic n" + from + "->n" + to + " goes through its proxy");
        }
      }
    }
    c.isolate(3);
    long atCut = total(majority);
    // writes to the isolated node: 503 UNAVAILABLE about requestTimeoutMs later, never a 201
    List<String> unavailableTxids = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      long start = System.nanoTime();
      Api.Resp r = api.submit(isolated.url, "{\"op\":\"put\",\"key\":\"isolated-" + i + "\",\"value\":" + i + "}");
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertEquals(503, r.status(), "a write to the isolated node: " + r + "\n" + c.describe());
      assertEquals("UNAVAILABLE", r.str("code"), r.toString());
      assertTrue(ms <= ISOLATED_REQUEST_TIMEOUT_MS + SLACK_MS,
          "503 after " + ms + " ms, request timeout " + ISOLATED_REQUEST_TIMEOUT_MS);
      if (r.str("txid") != null) {
        unavailableTxids.add(r.str("txid"));
      }
    }
    Api.Resp read = api.get(isolated.url, "/kv/isolated-0?consistency=linearizable");
    assertEquals(503, read.status(), "a linearizable read on the isolated node: " + read);
    Await.until("the majority to commit 30 more while the node is cut off", Duration.ofSeconds(60),
        () -> total(majority) >= atCut + 30);
    assertTrue(c.link(1, 3).refused() + c.link(2, 3).refused() + c.link(3, 1).refused() + c.link(3, 2).refused() > 0,
        "the cut links refused connections");

    c.healAll();
    long atHeal = total(majority);
    Await.until("20 more commits after healing", Duration.ofSeconds(60), () -> total(majority) >= atHeal + 20);
    List<Writers.Outcome> outcomes = new ArrayList<>();
    majority.forEach(w -> outcomes.addAll(w.stop()));
    System.out.println("ClusterFaultsIT partition, majority: " + Writers.summary(outcomes));
    assertAllAcked(outcomes, c, "a majority was connected");
    List<LogChain.Row> log = assertConvergedWithEveryAcknowledgedOnce(api, c, outcomes, Duration.ofSeconds(60));
    Map<String, Integer> copies = new HashMap<>();
    log.forEach(row -> copies.merge(row.txid(), 1, Integer::sum));
    int committedLater = 0;
    for (String txid : unavailableTxids) {
      int n = copies.getOrDefault(txid, 0);
      assertTrue(n <= 1, "an entry answered 503 is in the log " + n + " times");
      committedLater += n;
      Api.Resp status = api.get(isolated.url, "/entries/" + txid);
      if (n == 1) {
        assertEquals("committed", status.str("status"), status.toString());
      }
    }
    System.out.println("ClusterFaultsIT partition: " + unavailableTxids.size() + " writes answered 503 with a txid, "
        + committedLater + " of them committed after healing");

    Api.Resp w = api.submit(isolated.url, "{\"op\":\"put\",\"key\":\"after-heal\",\"value\":1}");
    assertEquals(201, w.status(), w.toString());
    for (NodeProcess n : c.nodes) {
      Api.Resp r = api.get(n.url, "/kv/after-heal?consistency=linearizable");
      assertEquals(200, r.status(), n.id + " " + r);
    }
  }

}
