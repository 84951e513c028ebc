package raftsimple.sim;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The swarm: runs many seeds, each a different cluster and fault mix, and fails on the first seed
 * that violates an invariant, printing everything needed to replay it.
 *
 * <ul>
 *   <li>{@code -Dsim.seed=N}: run seed N alone, verbosely (options, stats, marks; trace on failure;
 *       {@code -Dsim.trace=all} echoes every trace line);
 *   <li>{@code -Dsim.seeds=N}: how many seeds (default {@value #DEFAULT_SEEDS}: about 90 s on the
 *       two-core build machine, measured; see docs/SIMULATION.md);
 *   <li>{@code -Dsim.firstSeed=N}: the first seed (default 1), e.g. for a soak on new ground;
 *   <li>{@code -Dsim.keepGoing=true}: run every seed and list the failing ones by invariant (triage).
 * </ul>
 */
class SimulationTest {
  static final int DEFAULT_SEEDS = 8_000;

  @Test
  void swarm() {
    String one = System.getProperty("sim.seed");
    if (one != null && !one.isBlank()) {
      replay(Long.parseLong(one.trim()));
      return;
    }
    long first = Long.getLong("sim.firstSeed", 1L);
    int count = Integer.getInteger("sim.seeds", DEFAULT_SEEDS);
    Map<String, Long> coverage = new TreeMap<>();
    long committed = 0;
    long crashes = 0;
    boolean keepGoing = Boolean.getBoolean("sim.keepGoing");
    Map<String, java.util.List<Long>> failures = new TreeMap<>();
    long started = System.nanoTime(); // reporting only; no run depends on it
    for (long seed = first; seed < first + count; seed++) {
      long t0 = System.nanoTime();
      Verdict v = new Simulation(seed, Sabotage.NONE, o -> { }, 256, false).run();
      long ms = (System.nanoTime() - t0) / 1_000_000;
      if (ms > 2_000) {
        System.out.println("seed " + seed + " took " + ms + " ms (" + v.stats() + ")");
      }
      if (!v.ok() && keepGoing) {
        failures.computeIfAbsent(v.failure().invariant, k -> new java.util.ArrayList<>()).add(seed);
        System.out.println("seed " + seed + ": " + v.failure().getMessage().lines().findFirst().orElse(""));
      } else if (!v.ok()) {
        System.out.println(v.report());
        fail("seed " + seed + " failed: " + v.failure().getMessage() + "\nreplay: "
            + Verdict.replayCommand(seed));
      }
      committed += v.stats().committed();
      crashes += v.stats().crashes();
      v.marks().forEach((k, n) -> coverage.merge(k, n, Long::sum));
    }
    double secs = (System.nanoTime() - started) / 1e9;
    System.out.printf("simulation: %d seeds from %d ran in %.1f s (%.0f seeds/min); %d entries"
        + " committed, %d crashes%n", count, first, secs, count / secs * 60, committed, crashes);
    System.out.println("coverage marks (hits summed over all seeds): " + coverage);
    if (!failures.isEmpty()) {
      fail("failing seeds by invariant: " + failures);
    }
  }

  private static void replay(long seed) {
    String t = System.getProperty("sim.trace", "");
    boolean echo = t.equals("all");
    Verdict v = new Simulation(seed, Sabotage.NONE, o -> { }, echo ? 1 : 200, echo).run();
    System.out.println("seed " + seed + "\noptions:\n  " + v.options() + "\nstats: " + v.stats()
        + "\nmarks: " + v.marks());
    if (!v.ok()) {
      System.out.println(v.report());
      fail("seed " + seed + " failed: " + v.failure().getMessage());
    }
  }
}
