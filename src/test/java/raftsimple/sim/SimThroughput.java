package raftsimple.sim;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * The simulator's throughput counters (a tool, not a test: {@code bench/sim-throughput.sh}): a calm
 * cluster — no faults, 0–1 ms links, 0–2 ms fsyncs — with closed-loop clients (each waits for its
 * answer before the next write), all on one node or spread over every node, at several client
 * counts; prints simulated commits per second and write latency percentiles in simulated ms. Used
 * to compare contention schemes on identical seeds (docs/PROTOCOL.md §8); it measures protocol
 * round trips and batching, not CPU.
 *
 * <p>Usage: {@code SimThroughput [seeds] [voters]}.
 */
public final class SimThroughput {
  private SimThroughput() {}

  private static void calm(SwarmOptions o, int voters, int clients, boolean one) {
    o.calm(voters);
    o.clients = clients;
    o.thinkMeanMs = 0;
    o.clientTimeoutMs = 10_000;
    o.retriesMax = 0;
    o.clientsOnFirstNodeOnly = one;
    o.faultPhaseMs = 5_000;
  }


  public static void main(String[] args) {
    int seeds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    int voters = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    System.out.println("| mode | clients | commits/s (sim) | write p50 ms | write p99 ms |");
    System.out.println("|---|---|---|---|---|");
    for (boolean one : new boolean[] {true, false}) {
      for (int clients : new int[] {1, 8, 32, 128}) {
        List<Long> lat = new ArrayList<>();
        long committed = 0;
        long simMs = 0;
        for (long seed = 1; seed <= seeds; seed++) {
          Simulation sim = new Simulation(seed, Swarm.CLASSIC, Sabotage.NONE,
              o -> calm(o, voters, clients, one), 1, false);
          Verdict v = sim.run();
          if (!v.ok()) {
            throw new AssertionError(v.report());
          }
          lat.addAll(sim.writeLatenciesMs());
          if (Boolean.getBoolean("throughput.marks")) {
            System.out.println("  seed " + seed + " " + v.stats() + "\n  " + v.marks());
          }
          committed += sim.committedLength();
          simMs += 5_000;
        }
        Collections.sort(lat);
        System.out.printf(Locale.ROOT, "| %s | %d | %.0f | %d | %d |%n", one ? "one" : "spread", clients,
            committed * 1000.0 / simMs, pct(lat, 0.50), pct(lat, 0.99));
      }
    }
  }

  private static long pct(List<Long> sorted, double p) {
    return sorted.isEmpty() ? -1 : sorted.get((int) Math.min(sorted.size() - 1, Math.floor(p * sorted.size())));
  }
}
