package raftsimple.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Assertions over several nodes' logs, shared by the cluster tests. */
final class Checks {
  static final String SHARED = "shared-list";

  private Checks() {}

  /**
   * The cluster tests' workload: every third request an append of a unique value to one shared
   * list, the others puts to distinct keys (every seventh with an idempotency key).
   */
  static Writers.Request putOrAppend(NodeProcess n, int t, long s) {
    String id = n.id + "-" + t + "-" + s;
    if (s % 3 == 0) {
      return new Writers.Request(SHARED, "{\"op\":\"append\",\"key\":\"" + SHARED + "\",\"value\":\"" + id + "\"}", null);
    }
    String key = "k-" + id;
    return new Writers.Request(key, "{\"op\":\"put\",\"key\":\"" + key + "\",\"value\":\"" + id + "\"}",
        s % 7 == 0 ? "idem-" + id : null);
  }

  /**
   * Fetches every running node's log, verifies each chain, and checks that all are the same log;
   * returns it. For nodes that may have compacted their logs see {@link #holdTheLog}.
   */
  static List<LogChain.Row> sameVerifiedLog(Api api, Cluster c) throws IOException {
    Map<String, java.net.URI> running = new LinkedHashMap<>();
    for (NodeProcess n : c.nodes) {
      if (n.alive()) {
        running.put(n.id, n.url);
      }
    }
    return sameVerifiedLog(api, running);
  }

  /** As above, for nodes given by id → URL (e.g. started by deploy/local-cluster.sh). */
  static List<LogChain.Row> sameVerifiedLog(Api api, Map<String, java.net.URI> nodes) throws IOException {
    Map<String, List<LogChain.Row>> logs = new LinkedHashMap<>();
    for (Map.Entry<String, java.net.URI> n : nodes.entrySet()) {
      List<LogChain.Row> rows = LogChain.fetch(api, n.getValue());
      LogChain.verify(rows);
      logs.put(n.getKey(), rows);
    }
    List<LogChain.Row> first = logs.values().iterator().next();
    logs.forEach((id, rows) -> assertEquals(first, rows, id + "'s log differs from the first node's"));
    return first;
  }

  /** Every acknowledged entry is in {@code log} exactly once, at the index its 201 named. */
  static void acknowledgedExactlyOnce(List<LogChain.Row> log, List<Writers.Outcome> acked) {
    Map<String, Integer> count = new HashMap<>();
    log.forEach(r -> count.merge(r.txid(), 1, Integer::sum));
    for (Writers.Outcome o : acked) {
      assertTrue(o.acked(), o.toString());
      assertEquals(1, count.getOrDefault(o.txid(), 0), "copies in the log of " + o);
      assertTrue(o.index() <= log.size(), o + " beyond the log's length " + log.size());
      LogChain.Row row = log.get((int) o.index() - 1);
      assertEquals(o.txid(), row.txid(), "at index " + o.index() + ": " + o);
      assertEquals(o.request().payload(), row.payloadText());
      assertEquals(o.node().id, row.origin(), "the origin is the node that took the request: " + o);
    }
  }

  /**
   * Every running node of {@code c} holds {@code full} (the whole log from index 1, e.g. a {@link
   * LogTap}'s copy) as far as it can still show it: the same length, and its retained entries (from
   * its first retained index on, after a snapshot compacted the ones before) verify as a chain from
   * the hash of {@code full}'s entry before them and equal {@code full}'s. Each hash covers every
   * entry before it, so such a node's snapshot holds exactly {@code full}'s prefix. Returns each
   * node's first retained index.
   */
  static Map<String, Long> holdTheLog(Api api, Cluster c, List<LogChain.Row> full) throws IOException {
    Map<String, Long> firsts = new LinkedHashMap<>();
    for (NodeProcess n : c.nodes) {
      if (!n.alive()) {
        continue;
      }
      LogChain.Retained r = LogChain.fetchRetained(api, n.url);
      assertEquals(full.size(), r.length(), n.id + "'s length");
      long first = r.firstIndex();
      String anchor = first == 1 ? LogChain.ZERO : full.get((int) first - 2).hash();
      LogChain.verify(r.rows(), first, anchor);
      assertEquals(full.subList((int) first - 1, full.size()), r.rows(),
          n.id + "'s entries from its first retained index " + first);
      firsts.put(n.id, first);
    }
    return firsts;
  }

  /** True for the log's own entries (membership changes, docs/PROTOCOL.md §11), not a client's. */
  static boolean isSystem(LogChain.Row r) {
    return Api.tree(r.payloadText()).has("$raftsimple");
  }

  /** Each request's payload is in the log at most once (no request was duplicated). */
  /**
   * No request is in the log twice, except as a marked duplicate (docs/PROTOCOL.md §10): an entry
   * with {@code duplicateOf} must repeat, key and body, the earlier entry it names, which is itself
   * no duplicate.
   */
  static void noPayloadTwice(List<LogChain.Row> log) {
    Map<String, Long> seen = new HashMap<>();
    for (LogChain.Row r : log) {
      if (isSystem(r)) {
        continue; // two voters may propose the same change; the second is a no-op (§11)
      }
      if (r.duplicateOf() != null) {
        assertDuplicateOfAnEarlierEntry(log, r);
        continue;
      }
      Long before = seen.put(r.payloadText(), r.index());
      assertTrue(before == null, "the same request at " + before + " and " + r.index() + ": " + r);
    }
  }

  /** {@code dup} repeats, with its key, the unmarked entry {@code dup.duplicateOf()} (when held). */
  static void assertDuplicateOfAnEarlierEntry(List<LogChain.Row> log, LogChain.Row dup) {
    assertTrue(dup.duplicateOf() < dup.index(), "a duplicate names a later entry: " + dup);
    assertTrue(dup.idempotencyKey() != null, "a duplicate without an idempotency key: " + dup);
    long first = log.isEmpty() ? 1 : log.get(0).index();
    if (dup.duplicateOf() < first) {
      return; // compacted away
    }
    LogChain.Row original = log.get((int) (dup.duplicateOf() - first));
    assertEquals(dup.duplicateOf(), original.index());
    assertEquals(original.payloadText(), dup.payloadText(), "a duplicate repeats its original: " + dup);
    assertEquals(original.idempotencyKey(), dup.idempotencyKey(), dup.toString());
    assertTrue(original.duplicateOf() == null, "a duplicate of a duplicate: " + dup);
  }

}
