package raftsimple.sim;

import java.util.Map;
import java.util.TreeMap;

/**
 * How often each planted bug is caught (a tool, not a test: {@code bench/planted-survey.sh}). For
 * each bug, runs seeds {@code first..first+n-1} with the swarm's default options and with the bug's
 * bias, and prints how many caught it and by which checker — the detection rates in
 * docs/SIMULATION.md come from here.
 *
 * <p>Usage: {@code PlantedSurvey <seeds> [first-seed] [BUG ...]}; {@code -Dsurvey.biasedOnly=true}
 * skips the runs with the default options; {@code -Dsurvey.control=true} runs the same biased
 * swarms with no bug planted (the control: every seed must pass).
 */
public final class PlantedSurvey {
  private PlantedSurvey() {}

  public static void main(String[] args) {
    if (args.length < 1) {
      System.err.println("usage: PlantedSurvey <seeds> [first-seed] [BUG ...]; bugs: "
          + PlantedBugs.ALL.keySet());
      System.exit(2);
    }
    int n = Integer.parseInt(args[0]);
    long first = args.length > 1 ? Long.parseLong(args[1]) : 1;
    java.util.Set<Sabotage> only = new java.util.TreeSet<>();
    for (int i = 2; i < args.length; i++) {
      only.add(Sabotage.valueOf(args[i]));
    }
    for (PlantedBugs.Bug bug : PlantedBugs.ALL.values()) {
      if (!only.isEmpty() && !only.contains(bug.sabotage())) {
        continue;
      }
      boolean[] modes = Boolean.getBoolean("survey.biasedOnly") ? new boolean[] {true}
          : new boolean[] {false, true};
      for (boolean biased : modes) {
        int caught = 0;
        long firstCaught = -1;
        Map<String, Integer> by = new TreeMap<>();
        Map<String, Long> marks = new TreeMap<>();
        for (long seed = first; seed < first + n; seed++) {
          Sabotage planted = Boolean.getBoolean("survey.control") ? Sabotage.NONE : bug.sabotage();
          Verdict v = new Simulation(seed, bug.swarm(), planted,
              biased ? bug.bias() : o -> { }, Boolean.getBoolean("survey.report") ? 400 : 1, false).run();
          v.marks().forEach((k, x) -> marks.merge(k, x, Long::sum));
          if (!v.ok()) {
            if (caught == 0 && Boolean.getBoolean("survey.report")) {
              System.out.println(v.report());
            }
            caught++;
            firstCaught = firstCaught < 0 ? seed : firstCaught;
            by.merge(v.failure().invariant, 1, Integer::sum);
          }
        }
        System.out.printf("%-45s %-8s caught in %5d of %5d seeds (first at %d) %s%n", bug.sabotage(),
            biased ? "biased" : "default", caught, n, firstCaught, by);
        if (Boolean.getBoolean("survey.marks")) {
          System.out.println("  marks " + marks);
        }
      }
    }
  }
}
