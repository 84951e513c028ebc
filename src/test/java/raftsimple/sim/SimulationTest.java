package raftsimple.sim;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The swarms: each runs many seeds, each a different cluster and fault mix, and fails on the first
 * seed that violates an invariant, printing everything needed to replay it.
 *
 * <ul>
 *   <li>{@code -Dsim.swarm=classic|membership}: run only that swarm (default: both);
 *   <li>{@code -Dsim.seed=N}: run seed N alone, verbosely (options, stats, marks; trace on failure;
 *       {@code -Dsim.trace=all} echoes every trace line), in the swarm named by {@code sim.swarm}
 *       (default classic);
 *   <li>{@code -Dsim.seeds=N}: how many seeds per swarm (defaults {@value #CLASSIC_SEEDS} and
 *       {@value #MEMBERSHIP_SEEDS}: together about 1.5–2 min on the two-core build machine,
 *       measured; see docs/SIMULATION.md);
 *   <li>{@code -Dsim.firstSeed=N}: the first seed (default 1), e.g. for a soak on new ground;
 *   <li>{@code -Dsim.keepGoing=true}: run every seed and list the failing ones by invariant (triage).
 * </ul>
 */
class SimulationTest {
  static final int CLASSIC_SEEDS = 4_000;
  static final int MEMBERSHIP_SEEDS = 3_500;

  @Test
  void swarm() {
    if (selected(Swarm.CLASSIC)) {
      run(Swarm.CLASSIC, CLASSIC_SEEDS);
    }
  }

  @Test
  void membershipSwarm() {
    if (selected(Swarm.MEMBERSHIP)) {
      run(Swarm.MEMBERSHIP, MEMBERSHIP_SEEDS);
    }
  }

  private static boolean selected(Swarm swarm) {
    String s = System.getProperty("sim.swarm", "");
    String one = System.getProperty("sim.seed", "");
    if (!one.isBlank()) {
      return s.isBlank() ? swarm == Swarm.CLASSIC : s.equals(swarm.property());
    }
    return s.isBlank() || s.equals(swarm.property());
  }

  private static void run(Swarm swarm, int defaultSeeds) {
    String one = System.getProperty("sim.seed");
    if (one != null && !one.isBlank()) {
      replay(swarm, Long.parseLong(one.trim()));
      return;
    }
    long first = Long.getLong("sim.firstSeed", 1L);
    int count = Integer.getInteger("sim.seeds", defaultSeeds);
    Map<String, Long> coverage = new TreeMap<>();
    long committed = 0;
    long crashes = 0;
    long changes = 0;
    long joins = 0;
    long snapshots = 0;
    long installs = 0;
    boolean keepGoing = Boolean.getBoolean("sim.keepGoing");
    Map<String, java.util.List<Long>> failures = new TreeMap<>();
    long started = System.nanoTime(); // reporting only; no run depends on it
    for (long seed = first; seed < first + count; seed++) {
      long t0 = System.nanoTime();
      Verdict v = new Simulation(seed, swarm, Sabotage.NONE, o -> { }, 256, false).run();
      long ms = (System.nanoTime() - t0) / 1_000_000;
      if (ms > 2_000) {
        System.out.println(swarm.property() + " seed " + seed + " took " + ms + " ms (" + v.stats() + ")");
      }
      if (!v.ok() && keepGoing) {
        failures.computeIfAbsent(v.failure().invariant, k -> new java.util.ArrayList<>()).add(seed);
        System.out.println(swarm.property() + " seed " + seed + ": "
            + v.failure().getMessage().lines().findFirst().orElse(""));
      } else if (!v.ok()) {
        System.out.println(v.report());
        fail(swarm.property() + " seed " + seed + " failed: " + v.failure().getMessage()
            + "\nreplay: " + Verdict.replayCommand(seed, swarm));
      }
      Verdict.Stats st = v.stats();
      committed += st.committed();
      crashes += st.crashes();
      changes += st.changes();
      joins += st.joins();
      snapshots += st.snapshots();
      installs += st.installs();
      v.marks().forEach((k, n) -> coverage.merge(k, n, Long::sum));
    }
    double secs = (System.nanoTime() - started) / 1e9;
    System.out.printf("simulation (%s swarm): %d seeds from %d ran in %.1f s (%.0f seeds/min); %d"
        + " entries committed, %d crashes, %d membership changes, %d joins, %d snapshots taken,"
        + " %d installed%n", swarm.property(), count, first, secs, count / secs * 60, committed,
        crashes, changes, joins, snapshots, installs);
    System.out.println("coverage marks (hits summed over all seeds): " + coverage);
    if (!failures.isEmpty()) {
      fail("failing seeds by invariant: " + failures);
    }
  }

  private static void replay(Swarm swarm, long seed) {
    String t = System.getProperty("sim.trace", "");
    boolean echo = t.equals("all");
    Verdict v = new Simulation(seed, swarm, Sabotage.NONE, o -> { }, echo ? 1 : 200, echo).run();
    System.out.println(swarm.property() + " seed " + seed + "\noptions:\n  " + v.options()
        + "\nstats: " + v.stats() + "\nmarks: " + v.marks());
    if (!v.ok()) {
      System.out.println(v.report());
      fail("seed " + seed + " failed: " + v.failure().getMessage());
    }
  }
}
