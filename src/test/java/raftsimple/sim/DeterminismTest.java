package raftsimple.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** A seed must replay bit for bit: the same seed twice gives the same trace, stats and marks. */
class DeterminismTest {
  @Test
  void sameSeedSameRun() {
    for (Swarm swarm : Swarm.values()) {
      for (long seed = 1; seed <= 8; seed++) {
        Verdict a = new Simulation(seed, swarm, Sabotage.NONE, o -> { }, 2_000, false).run();
        Verdict b = new Simulation(seed, swarm, Sabotage.NONE, o -> { }, 2_000, false).run();
        String what = swarm.property() + " seed " + seed;
        assertEquals(a.traceTail(), b.traceTail(), "trace of " + what);
        assertEquals(a.stats(), b.stats(), "stats of " + what);
        assertEquals(a.marks(), b.marks(), "marks of " + what);
        assertEquals(a.options().toString(), b.options().toString());
      }
    }
  }
}
