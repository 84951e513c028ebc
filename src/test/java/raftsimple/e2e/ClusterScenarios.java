package raftsimple.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What the cluster tests of every transport run and check the same way (ClusterIT and
 * EventBusClusterIT, ClusterFaultsIT and EventBusClusterFaultsIT): the transport only changes how
 * the cluster is started and how a node is cut off.
 */
final class ClusterScenarios {
  private ClusterScenarios() {}

  /** One client per node, writing puts and appends to the shared list until stopped. */
  static Writers writers(Api api, NodeProcess n) {
    return new Writers(api, n, 1, (t, s) -> Checks.putOrAppend(n, t, s)).start();
  }

  static long total(List<Writers> ws) {
    return ws.stream().mapToLong(Writers::count).sum();
  }

  static List<Writers.Outcome> notAcked(List<Writers.Outcome> outcomes) {
    return outcomes.stream().filter(o -> !o.acked()).toList();
  }

  /** Every request was answered 201 ({@code why}: the reason they all had to be). */
  static void assertAllAcked(List<Writers.Outcome> outcomes, Cluster c, String why) {
    assertAllAcked(outcomes, why, c::describe);
  }

  /** As above; {@code state} (e.g. the members' {@code /cluster}) is read only on failure. */
  static void assertAllAcked(List<Writers.Outcome> outcomes, String why, java.util.function.Supplier<String> state) {
    List<Writers.Outcome> bad = notAcked(outcomes);
    if (!bad.isEmpty()) {
      throw new AssertionError(bad.size() + " of " + outcomes.size() + " requests were not 201 although " + why
          + ": " + bad.stream().limit(10).toList() + "\n" + state.get());
    }
  }

  /**
   * Waits until every running node has the same head, then checks that they hold the same
   * verified chain of that length, with every acknowledged entry in it exactly once and no payload
   * twice; returns that log.
   */
  static List<LogChain.Row> assertConvergedWithEveryAcknowledgedOnce(Api api, Cluster c,
      List<Writers.Outcome> acknowledged, Duration timeout) throws IOException {
    // Entries still in flight when the heads first agree (an instance proposed just before, an
    // entry a client gave up on with a 503) may commit while the logs are read: read again until
    // the logs read are those of a converged cluster.
    long deadline = System.nanoTime() + timeout.toNanos();
    long length = c.awaitConverged(timeout);
    List<LogChain.Row> log = Checks.sameVerifiedLog(api, c);
    while (log.size() != length && System.nanoTime() < deadline) {
      length = c.awaitConverged(timeout);
      log = Checks.sameVerifiedLog(api, c);
    }
    assertEquals(length, log.size(), "the log kept growing after the heads converged");
    Checks.acknowledgedExactlyOnce(log, acknowledged);
    Checks.noPayloadTwice(log);
    return log;
  }

  /**
   * A client on every node writes {@code perNode} entries: all 201, then one verified log with
   * every acknowledged entry once, every node ready and listing {@code n} voters. Returns the
   * outcomes and the log.
   */
  static Written concurrentClientsOnEveryNode(Api api, Cluster c, int perNode, String label) throws IOException {
    List<Writers> writers = new ArrayList<>();
    for (NodeProcess n : c.nodes) {
      writers.add(new Writers(api, n, 1, perNode, (t, s) -> Checks.putOrAppend(n, t, s)).start());
    }
    List<Writers.Outcome> outcomes = new ArrayList<>();
    writers.forEach(w -> outcomes.addAll(w.join()));
    System.out.println(label + " load: " + Writers.summary(outcomes));
    assertAllAcked(outcomes, c, "every node was up");
    List<LogChain.Row> log = assertConvergedWithEveryAcknowledgedOnce(api, c, outcomes, Duration.ofSeconds(30));
    for (NodeProcess n : c.nodes) {
      Api.Resp ready = api.get(n.url, "/ready");
      assertEquals(200, ready.status(), n.id + " " + ready);
      Api.Resp members = api.get(n.url, "/cluster");
      assertEquals(c.nodes.size(), members.json().get("members").size(), members.toString());
      for (JsonNode m : members.json().get("members")) {
        assertEquals("voter", m.get("role").asText(), members.toString());
      }
    }
    return new Written(outcomes, log);
  }

  record Written(List<Writers.Outcome> outcomes, List<LogChain.Row> log) {}

  /** Thirty rounds: a write on one node, then a linearizable read on another sees it. */
  static void linearizableReadsOnAnotherNodeSeeTheWrite(Api api, Cluster c) throws IOException {
    int n = c.nodes.size();
    for (int i = 0; i < 30; i++) {
      NodeProcess writer = c.node(1 + i % n);
      NodeProcess reader = c.node(1 + (i + 1) % n);
      Api.Resp w = api.submit(writer.url, "{\"op\":\"put\",\"key\":\"lin\",\"value\":" + i + "}");
      assertEquals(201, w.status(), w.toString());
      Api.Resp r = api.get(reader.url, "/kv/lin?consistency=linearizable");
      assertEquals(200, r.status(), r.toString());
      assertEquals(i, r.json().get("value").asInt(), "read on " + reader.id + " after a write on " + writer.id + ": " + r);
      assertTrue(r.num("index") >= w.num("index"), "read index " + r + " before the write " + w);
    }
  }

  /**
   * Clients on all three nodes; node 3 is killed with SIGKILL mid-load; the survivors keep
   * committing (all 201), the victim's only unanswered request is the one in flight; it restarts
   * on the same data, catches up to one verified log holding every acknowledged entry once, serves
   * the whole state and takes writes again.
   */
  static void killMidLoadThenRestart(Api api, Cluster c, Phases phases) throws IOException {
    NodeProcess victim = c.node(3);
    List<Writers> survivors = List.of(writers(api, c.node(1)), writers(api, c.node(2)));
    Writers onVictim = writers(api, victim);
    Await.until("progress on every node", Duration.ofSeconds(60),
        () -> onVictim.count() >= 20 && survivors.stream().allMatch(w -> w.count() >= 20));

    phases.mark("load");
    onVictim.signalStop();
    assertEquals(137, victim.kill(), "SIGKILL");
    List<Writers.Outcome> victimOutcomes = onVictim.join();
    long atKill = total(survivors);
    phases.mark("kill");
    Await.until("the survivors to commit 40 more", Duration.ofSeconds(90), () -> total(survivors) >= atKill + 40);
    List<Writers.Outcome> survivorOutcomes = new ArrayList<>();
    survivors.forEach(w -> survivorOutcomes.addAll(w.stop()));
    phases.mark("load on survivors");
    System.out.println(phases.name() + ", survivors: " + Writers.summary(survivorOutcomes)
        + "; victim: " + Writers.summary(victimOutcomes));

    assertAllAcked(survivorOutcomes, c, "a majority was up");
    List<Writers.Outcome> victimAnswered = victimOutcomes.stream().filter(o -> o.resp() != null && !o.acked()).toList();
    assertTrue(victimAnswered.isEmpty(), "the victim answered other than 201 while up: " + victimAnswered);
    assertTrue(victimOutcomes.stream().filter(o -> o.resp() == null).count() <= 1,
        "only the request in flight at the kill may go unanswered: " + victimOutcomes);

    victim.start();
    phases.mark("restart");
    victim.awaitReady();
    List<Writers.Outcome> acked = new ArrayList<>(survivorOutcomes);
    victimOutcomes.stream().filter(Writers.Outcome::acked).forEach(acked::add);
    List<LogChain.Row> log = assertConvergedWithEveryAcknowledgedOnce(api, c, acked, Duration.ofSeconds(60));
    phases.mark("catch-up");

    // the restarted node serves the whole state and takes writes again
    Map<String, JsonNode> expected = Kv.replay(log);
    assertEquals(expected, Kv.read(api, victim.url, expected.keySet(), false), "the restarted node's state");
    Api.Resp w = api.submit(victim.url, "{\"op\":\"put\",\"key\":\"after-restart\",\"value\":1}");
    assertEquals(201, w.status(), w.toString());
    Api.Resp r = api.get(c.node(1).url, "/kv/after-restart?consistency=linearizable");
    assertEquals(200, r.status(), r.toString());
    phases.mark("checks");
    System.out.println(phases);
  }
}
