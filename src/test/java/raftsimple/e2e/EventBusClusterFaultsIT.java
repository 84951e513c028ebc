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
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link ClusterFaultsIT}'s faults for {@code "transport": "eventbus"}, three processes: a node
 * killed with SIGKILL under load (the others keep committing; restarted on the same data, its
 * Hazelcast member rejoins and it catches up), and a node cut off and healed. The cut is a
 * SIGSTOP, not a {@link TcpProxy}: Hazelcast members connect to the addresses the others
 * advertise, so there is no single link to put a proxy on; a frozen process is silent on every
 * connection at once while its sockets stay open, which is how a hung or partitioned host looks.
 * Afterwards every log is the same verified chain and every acknowledged entry is in it exactly
 * once.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EventBusClusterFaultsIT {
  @RegisterExtension final E2e e2e = new E2e();

  @Test
  void aNodeKilledMidLoadLeavesTheOthersCommittingAndCatchesUpAfterARestart() throws IOException {
    Phases phases = new Phases("EventBusClusterFaultsIT kill -9");
    // Same data, same Hazelcast port on restart: a new member (new UUID) at the dead one's address
    // must be let in.
    Cluster c = e2e.eventBusCluster(3, k -> null);
    phases.mark("start");
    ClusterScenarios.killMidLoadThenRestart(e2e.api(), c, phases);
  }

  /**
   * Two freezes of n3 on one cluster, each while the others write: a short one (about a second,
   * shorter than Hazelcast's failure detection), and one past it, which evicts n3's member; after
   * SIGCONT that member finds itself alone and must merge back, and n3's peer address must be
   * registered again. After each, n3 catches up. Detection is shortened for these nodes (heartbeat every
   * second, evicted after {@value #NO_HEARTBEAT_SECONDS} s silent; the defaults, 5 and 60 s, would
   * need a minute-long freeze): Hazelcast reads these properties from system properties because
   * EventBusCluster does not set them, so the eviction and merge are the product's own.
   */
  @Test
  void aFrozenNodeLeavesTheOthersCommittingAndCatchesUpWhenItRunsAgainEvenAfterEviction() throws IOException {
    Phases phases = new Phases("eventbus SIGSTOP");
    e2e.nodeJvmOptions("-Dhazelcast.heartbeat.interval.seconds=1",
        "-Dhazelcast.max.no.heartbeat.seconds=" + NO_HEARTBEAT_SECONDS);
    Cluster c = e2e.eventBusCluster(3, k -> null);
    phases.mark("start");
    Api api = e2e.api();
    NodeProcess frozen = c.node(3);
    List<Writers> majority = List.of(writers(api, c.node(1)), writers(api, c.node(2)));
    List<Writers.Outcome> frozenOutcomes = new ArrayList<>();

    frozenOutcomes.addAll(freezeAndResume(c, api, majority, 0, false));
    phases.mark("short freeze");
    frozenOutcomes.addAll(freezeAndResume(c, api, majority, 1, true));
    phases.mark("freeze past eviction");

    long atEnd = total(majority);
    Await.until("20 more commits", Duration.ofSeconds(30), () -> total(majority) >= atEnd + 20);
    List<Writers.Outcome> outcomes = new ArrayList<>();
    majority.forEach(w -> outcomes.addAll(w.stop()));
    System.out.println("EventBusClusterFaultsIT SIGSTOP, majority: " + Writers.summary(outcomes)
        + "; frozen node: " + Writers.summary(frozenOutcomes));
    assertAllAcked(outcomes, c, "a majority was up");
    List<Writers.Outcome> frozenOdd = frozenOutcomes.stream()
        .filter(o -> !o.acked() && !(o.resp() != null && o.resp().status() == 503)).toList();
    assertTrue(frozenOdd.isEmpty(), "the frozen node answered other than 201 or 503: " + frozenOdd);

    c.awaitAllReachable(Duration.ofSeconds(30));
    frozen.awaitReady();
    List<Writers.Outcome> acked = new ArrayList<>(outcomes);
    frozenOutcomes.stream().filter(Writers.Outcome::acked).forEach(acked::add);
    assertConvergedWithEveryAcknowledgedOnce(api, c, acked, Duration.ofSeconds(30));
    phases.mark("catch-up");
    // n3 takes writes again: its peer address is registered in the merged cluster.
    Api.Resp w = api.submit(frozen.url, "{\"op\":\"put\",\"key\":\"after-freeze\",\"value\":1}");
    assertEquals(201, w.status(), w.toString());
    for (NodeProcess n : c.nodes) {
      Api.Resp r = api.get(n.url, "/kv/after-freeze?consistency=linearizable");
      assertEquals(200, r.status(), n.id + " " + r);
    }
    phases.mark("checks");
    System.out.println(phases);
  }

  /** Hazelcast's failure detection for the freeze test: evicted after this many silent seconds. */
  static final int NO_HEARTBEAT_SECONDS = 5;
  static final String N3_LEFT = "event-bus cluster: peer n3 left";
  static final String N3_JOINED = "event-bus cluster: peer n3 joined";

  /**
   * Writes on every node, then freezes n3 while the majority commits 30 more (and, with
   * {@code pastEviction}, until n1's Hazelcast has evicted n3's member and the majority has
   * committed 30 more after that), resumes it, and waits until it has caught up with where the
   * others were at the resume (for an evicted member, that takes the merge). Returns the outcomes
   * of the client on n3, whose last request may be caught mid-flight by the freeze: it must end
   * in one 201 or one 503 (its request timeout passed while frozen), never anything else.
   */
  private static List<Writers.Outcome> freezeAndResume(Cluster c, Api api, List<Writers> majority,
      int round, boolean pastEviction) throws IOException {
    NodeProcess frozen = c.node(3);
    NodeProcess observer = c.node(1);
    // A new client per round, numbered by the round so that its requests (and idempotency keys)
    // differ from the last round's.
    Writers onFrozen = new Writers(api, frozen, 1, (t, s) -> Checks.putOrAppend(frozen, round, s)).start();
    long before = total(majority);
    Await.until("progress on every node", Duration.ofSeconds(60),
        () -> onFrozen.count() >= 10 && total(majority) >= before + 20);
    int left = count(observer.output(), N3_LEFT);
    int joined = count(observer.output(), N3_JOINED);

    onFrozen.signalStop();
    frozen.pause();
    long atFreeze = total(majority);
    // Cut off as far as the protocol can tell: both others stop hearing from it.
    for (int k = 1; k <= 2; k++) {
      NodeProcess n = c.node(k);
      Await.until(n.id + " to see " + frozen.id + " unreachable", Duration.ofSeconds(30),
          () -> !c.reachableFrom(n).contains(frozen.id));
    }
    Await.until("the majority to commit 30 more while " + frozen.id + " is frozen", Duration.ofSeconds(30),
        () -> total(majority) >= atFreeze + 30);
    if (pastEviction) {
      Await.until(observer.id + "'s Hazelcast to evict " + frozen.id, Duration.ofSeconds(30),
          () -> count(observer.output(), N3_LEFT) > left);
      long atEviction = total(majority);
      // The survivors repartition Hazelcast's data without n3 meanwhile: they must still commit.
      Await.until("the majority to commit 30 more after the eviction", Duration.ofSeconds(30),
          () -> total(majority) >= atEviction + 30);
    }

    frozen.resume();
    long target = api.get(observer.url, "/head").num("length");
    List<Writers.Outcome> outcomes = onFrozen.join();
    if (pastEviction) {
      Await.until(frozen.id + "'s member to merge back into the cluster", Duration.ofSeconds(30),
          () -> count(observer.output(), N3_JOINED) > joined);
    }
    // The others keep writing, so their heads move on: wait for n3 to reach where they were.
    Await.until(frozen.id + " to catch up to length " + target, Duration.ofSeconds(30),
        () -> api.get(frozen.url, "/head").num("length") >= target);
    System.out.println("EventBusClusterFaultsIT freeze" + (pastEviction ? " past eviction" : "")
        + ": n3's Hazelcast member evicted " + (count(observer.output(), N3_LEFT) - left) + " time(s)");
    return outcomes;
  }

  static int count(String text, String needle) {
    int n = 0;
    for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + needle.length())) {
      n++;
    }
    return n;
  }
}
