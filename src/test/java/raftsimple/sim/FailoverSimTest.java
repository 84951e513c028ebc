package raftsimple.sim;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Failure is an input, and a node that dies or comes back costs its survivors no more than a few
 * instance times (issue "no stall when a node dies", docs/PROTOCOL.md §15), measured in simulated
 * time on a calm cluster with clients on every node and the production head timeout (1500 ms):
 * one node crashes while the others keep writing, and restarts later. The longest stretch with no
 * commit anywhere is the stall clients see. A kill is reported by the transports (connection
 * refused: {@code PeerDown}); a pause (SIGSTOP) is only silence, which the adaptive recovery delay
 * must notice on its own.
 */
class FailoverSimTest {
  private static final long CRASH_AT_MS = 3_000;
  private static final long DOWN_MS = 3_000;

  /** A calm cluster: no loss, partitions or random crashes; fast disks and links; busy clients. */
  private static void calm(SwarmOptions o, int voters) {
    o.calm(voters);
    o.readTimeoutMs = 3_000;
    o.clients = 8;
    o.thinkMeanMs = 1;
    o.clientTimeoutMs = 5_000;
    o.clientsAvoidDown = true;
    o.peerEvents = true;
    o.detectMaxMs = 20;
    o.faultPhaseMs = CRASH_AT_MS + DOWN_MS + 3_000;
  }


  private record Stall(long afterCrashMs, long afterRestartMs) {}

  private static Stall measure(long seed, int voters, String victim, boolean reported) {
    Simulation sim = new Simulation(seed, Swarm.CLASSIC, Sabotage.NONE, o -> calm(o, voters), 200, false);
    sim.scheduleCrash(victim, CRASH_AT_MS, DOWN_MS, reported);
    Verdict v = sim.run();
    assertTrue(v.ok(), v::report);
    long restart = CRASH_AT_MS + DOWN_MS;
    return new Stall(sim.longestCommitGapMs(CRASH_AT_MS, restart - 1),
        sim.longestCommitGapMs(restart, restart + 2_000));
  }

  private static List<Stall> all(int voters, boolean reported) {
    List<Stall> out = new ArrayList<>();
    for (long seed = 1; seed <= 3; seed++) {
      for (int v = 1; v <= voters; v++) {
        out.add(measure(seed, voters, "n" + v, reported));
      }
    }
    return out;
  }

  private static long worst(List<Stall> stalls, boolean afterCrash) {
    return stalls.stream().mapToLong(s -> afterCrash ? s.afterCrashMs() : s.afterRestartMs())
        .max().orElseThrow();
  }

  @Test
  void aKilledNode_stallsTheSurvivorsForAFewInstanceTimesAtMost() {
    for (int voters : new int[] {3, 5}) {
      List<Stall> stalls = all(voters, true);
      System.out.printf("failover sim, %d voters, kill: worst stall %d ms after the crash, %d ms after"
          + " the restart%n", voters, worst(stalls, true), worst(stalls, false));
      assertTrue(worst(stalls, true) <= 200, "stall after a reported crash: " + stalls);
      assertTrue(worst(stalls, false) <= 100, "stall after the restart: " + stalls);
    }
  }

  @Test
  void aPausedNode_isNoticedByTheAdaptiveDelay_wellBeforeTheHeadTimeout() {
    List<Stall> stalls = all(3, false);
    System.out.printf("failover sim, 3 voters, pause: worst stall %d ms after it, %d ms after it"
        + " resumed%n", worst(stalls, true), worst(stalls, false));
    assertTrue(worst(stalls, true) <= 500, "stall after a silent crash: " + stalls);
    assertTrue(worst(stalls, false) <= 100, "stall after the restart: " + stalls);
  }
}
