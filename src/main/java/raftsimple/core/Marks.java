package raftsimple.core;

import java.util.Map;
import java.util.TreeMap;

/**
 * Coverage marks (TigerBeetle {@code marks.zig}): the core names the rare paths it takes, such as
 * {@code "H3.finish-orphaned-proposal"}, and a test that claims to exercise a hazard asserts the mark
 * was hit. One instance per node; counts only, no effect on behaviour.
 */
public final class Marks {
  private final Map<String, Long> hits = new TreeMap<>();

  void hit(String mark) {
    hits.merge(mark, 1L, Long::sum);
  }

  public long count(String mark) {
    return hits.getOrDefault(mark, 0L);
  }

  /** How many different marks were hit so far (grows when a new path is taken). */
  public int distinct() {
    return hits.size();
  }

  /** A copy of every mark hit so far, sorted by name. */
  public Map<String, Long> snapshot() {
    return new TreeMap<>(hits);
  }
}
