package raftsimple.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static raftsimple.e2e.Roles.assertReadOnlyRefuses;
import static raftsimple.e2e.Roles.awaitAnswers;
import static raftsimple.e2e.Roles.awaitRole;
import static raftsimple.e2e.Roles.awaitRoles;
import static raftsimple.e2e.Roles.protocolEvents;
import static raftsimple.e2e.Roles.roleOfSelf;
import static raftsimple.e2e.Roles.roles;
import static raftsimple.e2e.Roles.urls;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Membership with real processes (docs/PROTOCOL.md §11, §12): a one-node cluster grows to three
 * voters and a read-only member through {@code join} while a client writes; the read-only member
 * refuses writes with 403 {@code READ_ONLY} naming exactly the voters' URLs and serves reads; a
 * voter is removed ({@code DELETE /cluster/members/n3} with a CA-signed client certificate) and
 * the rest keep committing; a read-only member restarted after many entries catches up from a
 * snapshot instead of the log; deploy/local-cluster.sh does the same from the shell. Throughout,
 * every acknowledged entry is in every member's log exactly once and every chain verifies.
 *
 * <p>{@code -De2e.membership.entries=50000} sets how many entries are written while the read-only
 * member is down (default 10000, to keep the default run short).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class MembershipIT {
  @RegisterExtension final E2e e2e = new E2e();

  static final long BULK_ENTRIES = Long.getLong("e2e.membership.entries", 10_000);
  static final Duration JOIN = Duration.ofSeconds(60);
  static final Duration PROMOTION = Duration.ofSeconds(60);
  static final Duration CONVERGE = Duration.ofSeconds(60);

  static final String VOTER = "voter";
  static final String READ_ONLY = "read-only";

  /**
   * The grow: a client writes to n1 the whole time while n2 and n3 join as learners, catch
   * up and are promoted (a learner that keeps pace is promoted under load, docs/PROTOCOL.md §11),
   * and n4 joins read-only; then the read-only member's answers, and the removal of a voter while
   * clients on n1 and n2 keep writing, after which they keep committing
   * ({@link ClusterScenarios#growWhileAClientWritesThenRemoveAVoter}, also run over the event bus).
   */
  @Test
  void growWhileAClientWritesThenRemoveAVoter() throws IOException {
    ClusterScenarios.growWhileAClientWritesThenRemoveAVoter(e2e.api(), e2e.memberApi("n1"),
        new ClusterScenarios.Joining() {
          @Override
          public NodeProcess founder() {
            return e2e.single(null);
          }

          @Override
          public NodeProcess joiner(String id, NodeProcess via, boolean readOnly) {
            return MembershipIT.this.joiner(id, via, readOnly, null);
          }
        }, this::client, new Phases("growWhileAClientWritesThenRemoveAVoter"));
  }

  /**
   * A voter removed while it is cut off from the others (the usual reason to remove one) must
   * learn that it was removed once it is back (docs/PROTOCOL.md §11: it answers {@code GET /ready}
   * 503 "removed from the cluster" and logs it). It can learn it only by fetching its removal from
   * members that no longer count it as one; they used to refuse it as an unknown node, and it
   * stayed a "voter" of the old configuration for good.
   */
  @Test
  void aVoterRemovedWhileCutOffLearnsItIsRemovedOnceBack() throws IOException {
    Api api = e2e.api();
    Cluster c = e2e.cluster(3, true, null);
    NodeProcess n1 = c.node(1);
    NodeProcess n3 = c.node(3);
    c.isolate(3);
    Writers writer = client(api, n1, 1, 20, (t, s) -> Checks.putOrAppend(n1, t, s)).start();
    ClusterScenarios.assertAllAcked(writer.join(), c, "a majority was up");
    Api.Resp removed = e2e.memberApi("n1").delete(n1.url, "/cluster/members/n3");
    assertEquals(200, removed.status(), removed.toString());
    c.healAll();
    Api.Resp ready = Await.until("n3 to answer /ready 503 \"removed\"", Duration.ofSeconds(30),
        () -> api.get(n3.url, "/ready"),
        r -> r.status() == 503 && "this node was removed from the cluster".equals(r.str("error")));
    assertEquals("NOT_READY", ready.str("code"), ready.toString());
    assertTrue(n3.output().contains("node n3 was removed from the cluster"), n3.logTail(30));
  }

  /**
   * A read-only member down while {@link #BULK_ENTRIES} entries are written (the voters take a
   * snapshot every 2000 entries and keep 2000 before it) comes back, installs a voter's snapshot
   * and fetches only what follows it: it does not replay the log from where it stopped, let alone
   * from index 1. A {@link LogTap} on n1 keeps the whole log, which every member must hold.
   */
  @Test
  @Timeout(value = 600, unit = TimeUnit.SECONDS) // for 50000 entries; 10000 take well under 2 min
  void aRestartedReadOnlyMemberCatchesUpBySnapshotNotByReplayingTheLog() throws IOException {
    assertTrue(BULK_ENTRIES >= 5000, "e2e.membership.entries must be at least 5000 (2.5 snapshot intervals "
        + "and their retained entries), or the voters still hold every entry the member lacks");
    Phases phases = new Phases("aRestartedReadOnlyMemberCatchesUpBySnapshotNotByReplayingTheLog");
    Api api = e2e.api();
    ObjectNode snapshots = Api.JSON.createObjectNode()
        .put("snapshotEveryEntries", 2000)
        .put("snapshotRetainEntries", 2000);
    long window = 1000; // < snapshotRetainEntries: see LogTap
    Cluster voters = e2e.cluster(2, false, snapshots);
    NodeProcess n1 = voters.node(1);
    NodeProcess n2 = voters.node(2);
    try (LogTap tap = new LogTap(api, n1).start()) {
      AtomicLong sent = new AtomicLong();
      NodeProcess n3 = joiner("n3", n1, true, snapshots).start().awaitReady();
      Cluster all = new Cluster(api, List.of(n1, n2, n3), null);
      awaitRoles(api, all.nodes, roles("n1", VOTER, "n2", VOTER, "n3", READ_ONLY));
      phases.mark("2 voters up, n3 joined read-only");

      List<Writers> warmUp = new ArrayList<>();
      for (NodeProcess n : List.of(n1, n2)) {
        warmUp.add(client(api, n, 1, 150, (t, s) -> {
          tap.throttle(sent.incrementAndGet(), window);
          return Checks.putOrAppend(n, t, s);
        }).start());
      }
      List<Writers.Outcome> outcomes = new ArrayList<>();
      warmUp.forEach(w -> outcomes.addAll(w.join()));
      ClusterScenarios.assertAllAcked(outcomes, all, "every member was up");
      long before = all.awaitConverged(CONVERGE);
      assertEquals(0, n3.term(), "SIGTERM");
      phases.mark("300 entries, n3 stopped at " + before);

      long start = System.nanoTime();
      List<Writers> bulk = new ArrayList<>();
      int threads = 4;
      for (NodeProcess n : List.of(n1, n2)) {
        bulk.add(client(api, n, threads, BULK_ENTRIES / (2 * threads), (t, s) -> {
          tap.throttle(sent.incrementAndGet(), window);
          String key = "bulk-" + n.id + "-" + t + "-" + s;
          return new Writers.Request(key, "{\"op\":\"put\",\"key\":\"" + key + "\",\"value\":" + s + "}",
              s % 5 == 0 ? "idem-" + key : null);
        }).start());
      }
      // Writers.join waits 60 s at most: first wait for the answers, at 100 entries/s at least.
      long total = 2L * threads * (BULK_ENTRIES / (2 * threads));
      Await.until(total + " answers to the bulk writers", Duration.ofSeconds(Math.max(120, BULK_ENTRIES / 100)),
          () -> bulk.stream().mapToLong(Writers::count).sum() >= total);
      List<Writers.Outcome> bulkOutcomes = new ArrayList<>();
      bulk.forEach(b -> bulkOutcomes.addAll(b.join()));
      double seconds = (System.nanoTime() - start) / 1e9;
      ClusterScenarios.assertAllAcked(bulkOutcomes, voters, "both voters were up");
      outcomes.addAll(bulkOutcomes);
      long length = voters.awaitConverged(CONVERGE);
      phases.mark(String.format("%d entries written with n3 down (%.0f/s)", bulkOutcomes.size(),
          bulkOutcomes.size() / seconds));
      // The premise: the voters no longer hold the entries right after n3's log.
      for (NodeProcess v : List.of(n1, n2)) {
        Api.Resp gone = api.get(v.url, "/log?from=" + (before + 1) + "&limit=1");
        assertEquals(410, gone.status(), v.id + " still holds entry " + (before + 1) + ": " + gone);
        assertEquals("COMPACTED", gone.str("code"), gone.toString());
      }

      n3.start();
      long caughtUp = all.awaitConverged(Duration.ofSeconds(120));
      n3.awaitReady();
      phases.mark("n3 restarted and caught up to " + caughtUp);

      String metrics = api.get(n3.url, "/metrics").text();
      double installed = protocolEvents(metrics, "H6.snapshot-installed");
      double committed = Cluster.metric(metrics, "raftsimple_entries_committed_total");
      double firstIndex = Cluster.metric(metrics, "raftsimple_log_first_index");
      Api.Resp fromOne = api.get(n3.url, "/log?from=1&limit=1");
      System.out.println("n3 after its restart: stopped at " + before + ", cluster at " + length
          + "; snapshots installed " + installed + ", entries committed since the restart " + committed
          + ", first retained index " + firstIndex + "; GET /log?from=1: " + fromOne);
      assertTrue(installed >= 1, "n3 installed no snapshot: " + installed + "\n" + n3.logTail(30));
      assertTrue(n3.output().contains("installed the snapshot at length"), n3.logTail(30));
      assertTrue(committed < length - before, "n3 appended " + committed + " entries, the whole gap of "
          + (length - before) + " (or more): it replayed the log instead of installing a snapshot");
      assertEquals(410, fromOne.status(), "n3 still serves entry 1: " + fromOne);
      assertEquals("COMPACTED", fromOne.str("code"), fromOne.toString());
      assertTrue(fromOne.num("firstIndex") > before + 1, "n3's log starts at " + fromOne.num("firstIndex")
          + ", not past the " + before + " entries it had: " + fromOne);
      assertTrue(firstIndex > before + 1, "raftsimple_log_first_index " + firstIndex);

      // Every acknowledged entry, once, in the whole log; every member holds that log.
      List<LogChain.Row> full = tap.awaitLength(caughtUp, CONVERGE);
      assertEquals(caughtUp, full.size());
      assertEquals(api.get(n1.url, "/head").str("head"), LogChain.verify(full));
      Checks.acknowledgedExactlyOnce(full, outcomes);
      Checks.noPayloadTwice(full);
      Map<String, Long> firsts = Checks.holdTheLog(api, all, full);
      // n3's state came with the snapshot: sample the bulk writes on it.
      List<Writers.Outcome> sample = new ArrayList<>();
      for (int i = 0; i < bulkOutcomes.size(); i += Math.max(1, bulkOutcomes.size() / 200)) {
        sample.add(bulkOutcomes.get(i));
      }
      Map<String, JsonNode> expected = new TreeMap<>();
      sample.forEach(o -> expected.put(o.request().key(), Api.tree(o.request().payload()).get("value")));
      assertEquals(expected, Kv.read(api, n3.url, expected.keySet(), false), "bulk writes on n3");
      Api.Resp last = api.submit(n2.url, "{\"op\":\"put\",\"key\":\"after-catch-up\",\"value\":1}");
      assertEquals(201, last.status(), last.toString());
      Api.Resp read = api.get(n3.url, "/kv/after-catch-up?consistency=linearizable");
      assertEquals(200, read.status(), read.toString());
      phases.mark("checked");
      System.out.println(phases + "; first retained indexes " + firsts + "; " + Writers.summary(outcomes));
    }
  }

  /**
   * deploy/local-cluster.sh itself: {@code start 1}, {@code join 2}, {@code join 3}, {@code join 4
   * read-only}, {@code status}, {@code remove 3}, {@code stop}, in a run directory of its own on
   * free ports, while a client writes to n1 throughout.
   */
  @Test
  void theLocalClusterScriptGrowsAndShrinksTheClusterWhileAClientWrites() throws Exception {
    Tls.assumeOpenssl();
    Phases phases = new Phases("theLocalClusterScriptGrowsAndShrinksTheClusterWhileAClientWrites");
    LocalClusterScript sh = new LocalClusterScript(e2e.dir().resolve("run"), Ports.freeRange(4));
    boolean passed = false;
    try {
      sh.ok("start", "1");
      Api api = new Api(Tls.trusting(sh.runDir.resolve("certs/ca.crt")));
      List<NodeProcess> nodes = new ArrayList<>();
      for (int k = 1; k <= 4; k++) {
        nodes.add(e2e.external("n" + k, sh.port(k), sh.runDir, api));
      }
      NodeProcess n1 = nodes.get(0);
      Writers writer = client(api, n1, 1, Long.MAX_VALUE, (t, s) -> Checks.putOrAppend(n1, t, s)).start();
      awaitAnswers(writer, 20);
      phases.mark("start 1");

      for (int k = 2; k <= 3; k++) {
        String id = "n" + k;
        String out = sh.ok("join", Integer.toString(k));
        assertTrue(out.contains(id + ": joined as voter"), out);
        awaitRole(api, n1, id, r -> r.equals("learner") || r.equals(VOTER), JOIN);
        long answered = writer.count();
        awaitAnswers(writer, answered + 20);
        awaitRole(api, n1, id, VOTER::equals, PROMOTION);
        phases.mark("join " + k);
      }
      String out = sh.ok("join", "4", "read-only");
      assertTrue(out.contains("n4: joined as read-only"), out);
      awaitRoles(api, nodes, roles("n1", VOTER, "n2", VOTER, "n3", VOTER, "n4", READ_ONLY));
      phases.mark("join 4 read-only");

      String status = sh.ok("status", "4");
      for (int k = 1; k <= 4; k++) {
        assertTrue(status.contains("n" + k + ": running, pid "), status);
      }
      assertReadOnlyRefuses(api, nodes.get(3), urls(nodes.get(0), nodes.get(1), nodes.get(2)));

      String removal = sh.ok("remove", "3");
      assertTrue(removal.contains("\"membership\""), "the DELETE's 200 body: " + removal);
      assertTrue(removal.contains("n3: stopped, exit status 0"), removal);
      List<NodeProcess> rest = List.of(nodes.get(0), nodes.get(1), nodes.get(3));
      awaitRoles(api, rest, roles("n1", VOTER, "n2", VOTER, "n4", READ_ONLY));
      awaitAnswers(writer, writer.count() + 20);
      phases.mark("remove 3");

      List<Writers.Outcome> outcomes = writer.stop();
      ClusterScenarios.assertAllAcked(outcomes, "a majority was up", () -> sh.logTails(30));
      Map<String, URI> urls = new LinkedHashMap<>();
      rest.forEach(n -> urls.put(n.id, n.url));
      Await.until("n1, n2 and n4 to reach the same head", CONVERGE, () -> {
        Set<String> heads = new LinkedHashSet<>();
        for (URI u : urls.values()) {
          Api.Resp h = api.get(u, "/head");
          heads.add(h.num("length") + " " + h.str("head"));
        }
        return heads.size() == 1;
      });
      List<LogChain.Row> log = Checks.sameVerifiedLog(api, urls);
      Checks.acknowledgedExactlyOnce(log, outcomes);
      Checks.noPayloadTwice(log);

      String stopped = sh.ok("stop", "4");
      for (String id : List.of("n4", "n2", "n1")) {
        assertTrue(stopped.contains(id + ": stopped, exit status 0"), stopped);
      }
      assertTrue(stopped.contains("n3: not running"), stopped);
      phases.mark("stop");
      System.out.println(phases + "; " + Writers.summary(outcomes) + "; log " + log.size() + " entries");
      passed = true;
    } finally {
      List<String> killed = sh.killLeftovers();
      if (!passed) {
        System.err.println("===== local-cluster.sh run failed; node logs =====\n" + sh.logTails(60)
            + "(killed in teardown: " + killed + ")");
      } else {
        assertTrue(killed.isEmpty(), "still running after local-cluster.sh stop: " + killed);
      }
    }
  }

  // ---------------------------------------------------------------- clients

  private final List<Writers> clients = new ArrayList<>();

  /** Client threads (see {@link Writers}), stopped after the test even when it fails. */
  Writers client(Api api, NodeProcess n, int threads, long perThread, Writers.Gen gen) {
    Writers w = new Writers(api, n, threads, perThread, gen);
    clients.add(w);
    return w;
  }

  /** Before the harness kills the nodes (extensions' afterEach runs after this). */
  @AfterEach
  void stopClients() {
    clients.forEach(Writers::signalStop);
  }

  // ---------------------------------------------------------------- joining

  /** A node that joins through {@code via} with an empty data dir (no peers). */
  NodeProcess joiner(String id, NodeProcess via, boolean readOnly, ObjectNode extra) {
    ObjectNode c = extra == null ? Api.JSON.createObjectNode() : extra.deepCopy();
    c.put("join", via.url.toString());
    if (readOnly) {
      c.put("readOnly", true);
    }
    return e2e.node(id, Ports.free(1)[0], List.of(), c);
  }
}
