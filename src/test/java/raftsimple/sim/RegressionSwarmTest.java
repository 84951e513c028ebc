package raftsimple.sim;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Swarm slices that pin the conditions of a past failure (not its seed: the seed-to-options mapping
 * changes whenever the swarm grows), each run over a few seeds that must all pass.
 */
class RegressionSwarmTest {
  /**
   * Simulator seed 16 (5 voters, 100 ms head timeout, one-way delays up to 100 ms): with fixed
   * recovery timers, coordinators pre-empted each other forever, even once faults stopped. The
   * recovery backoff now grows with each attempt on an instance.
   */
  @Test
  void headTimeoutShorterThanRecoveryRoundTrips_stillSettles() {
    passes(12, o -> {
      o.voters = 5;
      o.headTimeoutMs = 100;
      o.retransmitMs = 50;
      o.delayMinMs = 2;
      o.delayMaxMs = 102;
      o.linkLatency = false;
      o.clients = 12;
      o.thinkMeanMs = 200;
    });
  }

  /** Simulator seed 140: a large backlog under a short head timeout drains; no fixed deadline. */
  @Test
  void backlogUnderContention_drains() {
    passes(4, o -> {
      o.voters = 3;
      o.headTimeoutMs = 100;
      o.delayMinMs = 4;
      o.delayMaxMs = 104;
      o.batchEntriesMax = 2;
      o.clients = 9;
      o.thinkMeanMs = 1;
      o.pipelineMax = 4;
      o.faultPhaseMs = 4_000;
    });
  }

  private static void passes(int seeds, Consumer<SwarmOptions> tweak) {
    for (long seed = 1; seed <= seeds; seed++) {
      Verdict v = new Simulation(seed, Sabotage.NONE, tweak, 200, false).run();
      assertTrue(v.ok(), () -> v.report());
    }
  }
}
