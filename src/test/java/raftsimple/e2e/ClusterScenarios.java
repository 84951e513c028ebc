package raftsimple.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftsimple.e2e.Roles.CONVERGE;
import static raftsimple.e2e.Roles.READ_ONLY;
import static raftsimple.e2e.Roles.VOTER;
import static raftsimple.e2e.Roles.assertReadOnlyRefuses;
import static raftsimple.e2e.Roles.awaitAnswers;
import static raftsimple.e2e.Roles.awaitRole;
import static raftsimple.e2e.Roles.awaitRoles;
import static raftsimple.e2e.Roles.roleOfSelf;
import static raftsimple.e2e.Roles.roles;
import static raftsimple.e2e.Roles.urls;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Set;
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

  // ---------------------------------------------------------------- membership (docs/PROTOCOL.md §11)

  /** How a transport's test starts the founder and the nodes that join it. */
  interface Joining {
    /** A one-node cluster n1, started. */
    NodeProcess founder();

    /** A node that joins through {@code via} with an empty data dir; not started. */
    NodeProcess joiner(String id, NodeProcess via, boolean readOnly);

    /**
     * Waits for whatever the transport does once {@code removed} learned of its removal, before
     * the scenario stops it (the event bus: it leaves the Hazelcast cluster a few seconds later).
     */
    default void afterRemoval(NodeProcess removed) {}
  }

  /** Creates client threads that the test stops after it, even when it fails. */
  @FunctionalInterface
  interface Clients {
    Writers client(Api api, NodeProcess n, int threads, long perThread, Writers.Gen gen);
  }

  /** Voters n1..n3, read-only n4, and the client writing to n1 (still running). */
  record Grown(NodeProcess n1, NodeProcess n2, NodeProcess n3, NodeProcess n4, Writers writer) {
    List<NodeProcess> all() {
      return List.of(n1, n2, n3, n4);
    }
  }

  /**
   * A client writes to n1 the whole time while n2 and n3 join as learners, catch up and are
   * promoted (a learner that keeps pace is promoted under load), and n4 joins read-only; then the
   * read-only member's answers (403 naming the voters, reads served, membership changes refused),
   * and the removal of the voter n3 while clients on n1 and n2 keep writing: the rest keep
   * committing, n3 learns of its removal (GET /ready, its log, its /cluster) and refuses writes
   * with 503 UNAVAILABLE marked removed. Every acknowledged entry is in one verified log once;
   * n3 holds a prefix of it. Returns the nodes (n3 stopped).
   *
   * @param operator a client with a certificate the cluster CA signed (membership changes)
   */
  static Grown growWhileAClientWritesThenRemoveAVoter(Api api, Api operator, Joining joining, Clients clients,
      Phases phases) throws IOException {
    Grown g = grow(api, joining, clients, phases);
    NodeProcess n1 = g.n1;
    NodeProcess n2 = g.n2;
    NodeProcess n3 = g.n3;
    NodeProcess n4 = g.n4;
    Writers onN2 = clients.client(api, n2, 1, Long.MAX_VALUE, (t, s) -> Checks.putOrAppend(n2, t, s)).start();

    // The read-only member: writes refused with the voters' URLs, reads served.
    assertReadOnlyRefuses(api, n4, urls(n1, n2, n3));
    Api.Resp w = api.submit(n1.url, "{\"op\":\"put\",\"key\":\"seen-on-n4\",\"value\":42}");
    assertEquals(201, w.status(), w.toString());
    Api.Resp lin = api.get(n4.url, "/kv/seen-on-n4?consistency=linearizable");
    assertEquals(200, lin.status(), lin.toString());
    assertEquals(42, lin.json().get("value").asInt(), lin.toString());
    assertTrue(lin.num("index") >= w.num("index"), "a linearizable read " + lin + " before the write " + w);
    Api.Resp local = Await.until("n4's local read to reflect the write at " + w.num("index"), CONVERGE,
        () -> api.get(n4.url, "/kv/seen-on-n4"), r -> r.status() == 200 && r.num("index") >= w.num("index"));
    assertEquals(42, local.json().get("value").asInt(), local.toString());
    Api.Resp viaReadOnly = operator.delete(n4.url, "/cluster/members/n3");
    assertEquals(403, viaReadOnly.status(), viaReadOnly.toString());
    assertEquals("READ_ONLY", viaReadOnly.str("code"), viaReadOnly.toString());
    Api.Resp noCertificate = api.delete(n1.url, "/cluster/members/n3");
    assertEquals(403, noCertificate.status(), noCertificate.toString());
    assertEquals("FORBIDDEN", noCertificate.str("code"), noCertificate.toString());
    phases.mark("read-only member checked");

    // Remove the voter n3 while the clients write: n3 may be a commit or two behind and has to
    // fetch its own removal from members that no longer count it as one (§11).
    Api.Resp removed = operator.delete(n1.url, "/cluster/members/n3");
    assertEquals(200, removed.status(), removed.toString());
    Set<String> left = new LinkedHashSet<>();
    removed.json().get("membership").get("members").forEach(m -> left.add(m.get("id").asText()));
    assertEquals(Set.of("n1", "n2", "n4"), left, removed.toString());
    Map<String, String> after = roles("n1", VOTER, "n2", VOTER, "n4", READ_ONLY);
    awaitRoles(api, List.of(n1, n2, n4), after);
    Api.Resp ready = Await.until("n3 to answer /ready 503 \"removed\"", CONVERGE, () -> api.get(n3.url, "/ready"),
        r -> r.status() == 503 && "this node was removed from the cluster".equals(r.str("error")));
    assertEquals("NOT_READY", ready.str("code"), ready.toString());
    assertTrue(n3.output().contains("node n3 was removed from the cluster"), n3.logTail(30));
    assertEquals("removed", roleOfSelf(api, n3), "n3's own /cluster");
    assertReadOnlyRefuses(api, n4, urls(n1, n2));
    Roles.assertRemovedRefuses(api, n3, urls(n1, n2));
    long n1After = g.writer.count();
    long n2After = onN2.count();
    Await.until("50 more answers on n1 and n2 after the removal", CONVERGE,
        () -> g.writer.count() >= n1After + 50 && onN2.count() >= n2After + 50);
    phases.mark("n3 removed");

    List<Writers.Outcome> outcomes = new ArrayList<>(g.writer.stop());
    outcomes.addAll(onN2.stop());
    Cluster rest = new Cluster(api, List.of(n1, n2, n4), null);
    ClusterScenarios.assertAllAcked(outcomes, rest, "a majority was up");
    long length = rest.awaitConverged(CONVERGE);
    List<LogChain.Row> log = Checks.sameVerifiedLog(api, rest);
    assertEquals(length, log.size());
    Checks.acknowledgedExactlyOnce(log, outcomes);
    Checks.noPayloadTwice(log);
    // n3 is no longer a member and follows no more; what it holds is a prefix of the log, up to
    // at least its own removal.
    List<LogChain.Row> n3Log = LogChain.fetch(api, n3.url);
    LogChain.verify(n3Log);
    assertTrue(n3Log.size() >= removed.num("index"), "n3 holds its removal at " + removed.num("index")
        + ": " + n3Log.size() + " entries");
    assertEquals(log.subList(0, n3Log.size()), n3Log, "n3's log is a prefix of the cluster's");
    joining.afterRemoval(n3);
    assertEquals(0, n3.term(), "the removed node stops cleanly on SIGTERM");
    phases.mark("checked");
    System.out.println(phases + "; " + Writers.summary(outcomes) + "; log " + length + " entries");
    return g;
  }

  /**
   * n1 alone with a client writing to it; n2 and n3 join (as learners, promoted to voters once
   * caught up), then n4 read-only; the client writes throughout.
   */
  private static Grown grow(Api api, Joining joining, Clients clients, Phases phases) {
    NodeProcess n1 = joining.founder();
    Writers writer = clients.client(api, n1, 1, Long.MAX_VALUE, (t, s) -> Checks.putOrAppend(n1, t, s)).start();
    awaitAnswers(writer, 50);
    phases.mark("n1 alone");
    List<NodeProcess> nodes = new ArrayList<>(List.of(n1));
    for (String id : List.of("n2", "n3")) {
      NodeProcess n = joining.joiner(id, n1, false).start();
      nodes.add(n);
      // added as a learner once its join committed; the client goes on while it catches up
      awaitRole(api, n1, id, r -> r.equals("learner") || r.equals(VOTER), JOIN);
      awaitAnswers(writer, writer.count() + 20);
      awaitRole(api, n1, id, VOTER::equals, PROMOTION);
      phases.mark(id + " joined and promoted");
    }
    NodeProcess n4 = joining.joiner("n4", n1, true).start();
    nodes.add(n4);
    awaitRoles(api, nodes, roles("n1", VOTER, "n2", VOTER, "n3", VOTER, "n4", READ_ONLY));
    awaitAnswers(writer, writer.count() + 20);
    phases.mark("n4 joined read-only");
    return new Grown(n1, nodes.get(1), nodes.get(2), n4, writer);
  }

  static final Duration JOIN = Duration.ofSeconds(60);
  static final Duration PROMOTION = Duration.ofSeconds(60);
}
