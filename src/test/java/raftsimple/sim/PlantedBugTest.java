package raftsimple.sim;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Teeth: each test plants one bug — in the simulated environment (the network or the shell) or in
 * one of the core's rules through {@code raftsimple.core.Planted} — and asserts that the checkers
 * catch it within a bounded number of seeds ({@link PlantedBugs} lists them with their biases). If
 * one of these starts passing, the simulator has gone blind.
 *
 * <p>The brief's "a promise reports only durable state" ({@link
 * Sabotage#PROMISE_REPORTS_DURABLE_ONLY}) is almost never lined up by random search (see
 * docs/SIMULATION.md for the rates that {@code bench/planted-survey.sh} measures), so its gate is
 * the directed scenario {@code core.DurabilityOrderTest}.
 */
class PlantedBugTest {
  /** Bug (a): voter n1 also grants proposals it refused (two round-0 votes on one head, H1). */
  @Test
  void doubleVotingVoter_breaksAgreement() {
    hunt(Sabotage.DOUBLE_VOTE);
  }

  /** Bug (b): the shell sends messages before their records are durable, and crashes lose them (H2). */
  @Test
  void sendingBeforeDurable_breaksAgreementUnderCrashes() {
    hunt(Sabotage.SEND_BEFORE_DURABLE);
  }

  /** Bug (d): a joiner's shell makes it a voter in its own configuration record (H7). */
  @Test
  void joinerThatBelievesItIsAVoter_isCaught() {
    hunt(Sabotage.JOINER_BELIEVES_VOTER);
  }

  /** Bug (e): the shell restores an older snapshot after its log caught up past it. */
  @Test
  void installingAnOlderSnapshot_isCaught() {
    hunt(Sabotage.INSTALL_AFTER_CATCHING_UP);
  }

  /** Fast-path trap 1: no restart window; a restarted proposer votes for another's proposal. */
  @Test
  void trap1_noRestartWindow_isCaught() {
    hunt(Sabotage.CORE_NO_RESTART_WINDOW);
  }

  /** Fast-path trap 2: a round-0 decision released before it is durable or covered by others. */
  @Test
  void trap2_releaseOnDecision_isCaught() {
    hunt(Sabotage.CORE_RELEASE_ON_DECISION);
  }

  /** Fast-path trap 3: the proposer counts its own vote before it is durable. */
  @Test
  void trap3_ownVoteCountedEarly_isCaught() {
    hunt(Sabotage.CORE_OWN_VOTE_COUNTED_EARLY);
  }

  /** Fast-path trap 4: early effects on the others' grants, but promises never say "restarted". */
  @Test
  void trap4_noRestartedFlag_isCaught() {
    hunt(Sabotage.CORE_NO_RESTARTED_FLAG);
  }

  /** Failover: a recovery started on a peer-down report ignores a possibly committed proposal. */
  @Test
  void earlyRecoveryThatIgnoresAPossibleCommit_isCaught() {
    hunt(Sabotage.CORE_EARLY_RECOVERY_IGNORES_POSSIBLE_COMMIT);
  }

  /**
   * The control: the same hostile swarms with no bug planted break nothing. Without it a bias
   * could "catch" bugs that are not there (a checker too strict for the fast path's rules).
   */
  @Test
  void theBiasesAloneBreakNothing() {
    java.util.Set<Consumer<SwarmOptions>> biases = new java.util.LinkedHashSet<>();
    for (Sabotage s : Sabotage.values()) {
      if (s.planted != null) {
        biases.add(PlantedBugs.ALL.get(s).bias());
      }
    }
    for (Consumer<SwarmOptions> bias : biases) {
      for (long seed = 1; seed <= 8; seed++) {
        Verdict v = new Simulation(seed, Swarm.CLASSIC, Sabotage.NONE, bias, 200, false).run();
        assertTrue(v.ok(), () -> v.report());
      }
    }
  }

  /**
   * H7: a membership change confirmed on a member's released (not durable) position; the removed
   * node stops, the member loses its commit record in a crash and waits for the removed node.
   */
  @Test
  void h7WitnessNotDurable_isCaught() {
    hunt(Sabotage.CORE_H7_WITNESS_NOT_DURABLE);
  }

  private static void hunt(Sabotage s) {
    PlantedBugs.Bug bug = PlantedBugs.ALL.get(s);
    Consumer<SwarmOptions> bias = bug.bias();
    Set<String> expected = bug.caughtBy();
    for (long seed = bug.firstSeed(); seed < bug.firstSeed() + bug.seedsMax(); seed++) {
      Verdict v = new Simulation(seed, bug.swarm(), s, bias, 200, false).run();
      if (!v.ok()) {
        System.out.printf("planted %s: caught at seed %d: %s%n", s, seed,
            v.failure().getMessage().lines().findFirst().orElse(""));
        assertTrue(expected.contains(v.failure().invariant),
            "caught by an unexpected checker: " + v.report());
        return;
      }
    }
    fail("planted bug " + s + " went unnoticed for " + bug.seedsMax() + " seeds");
  }
}
