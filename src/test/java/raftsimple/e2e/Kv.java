package raftsimple.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** The KV state as the tests model it: replaying a log, and reading it back from a node. */
final class Kv {
  private Kv() {}

  /**
   * The state after applying {@code rows} in order, for logs of put, append and delete (the ops
   * these tests write; none of them can be rejected). Membership entries and marked duplicates
   * (docs/PROTOCOL.md §10) are not applied.
   */
  static Map<String, JsonNode> replay(List<LogChain.Row> rows) {
    Map<String, JsonNode> state = new TreeMap<>();
    for (LogChain.Row r : rows) {
      if (Checks.isSystem(r) || r.duplicateOf() != null) {
        continue;
      }
      JsonNode p = Api.tree(r.payloadText());
      String key = p.path("key").asText();
      switch (p.path("op").asText()) {
        case "put" -> state.put(key, p.get("value"));
        case "delete" -> state.remove(key);
        case "append" -> {
          JsonNode current = state.get(key);
          ArrayNode list = Api.JSON.createArrayNode();
          if (current != null) {
            if (!current.isArray()) {
              throw new AssertionError("the tests never append to a non-list: " + r);
            }
            list.addAll((ArrayNode) current);
          }
          list.add(p.get("value"));
          state.put(key, list);
        }
        default -> throw new AssertionError("an op the model does not replay: " + r);
      }
    }
    return state;
  }

  /** {@code GET /kv/{key}} for every key, in parallel: key → value, absent keys left out. */
  static Map<String, JsonNode> read(Api api, URI node, Collection<String> keys, boolean linearizable) {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Map.Entry<String, JsonNode>>> futures = new ArrayList<>();
      for (String key : keys) {
        futures.add(pool.submit(() -> {
          Api.Resp r = api.get(node, "/kv/" + key + (linearizable ? "?consistency=linearizable" : ""));
          if (r.status() == 404) {
            return null;
          }
          if (r.status() != 200) {
            throw new AssertionError("GET /kv/" + key + " on " + node + ": " + r);
          }
          return Map.entry(key, r.json().get("value"));
        }));
      }
      Map<String, JsonNode> values = new TreeMap<>();
      for (Future<Map.Entry<String, JsonNode>> f : futures) {
        Map.Entry<String, JsonNode> e = f.get();
        if (e != null) {
          values.put(e.getKey(), e.getValue());
        }
      }
      return values;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw new UncheckedIOException(io);
      }
      if (e.getCause() instanceof AssertionError a) {
        throw a;
      }
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    } finally {
      pool.shutdownNow();
    }
  }
}
