package raftsimple.e2e;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Nodes n1..nN started by {@link E2e#cluster}, and (when proxied) their peer links. */
final class Cluster {
  final List<NodeProcess> nodes;
  private final Api api;
  private final TcpProxy[][] links;

  Cluster(Api api, List<NodeProcess> nodes, TcpProxy[][] links) {
    this.api = api;
    this.nodes = List.copyOf(nodes);
    this.links = links;
  }

  NodeProcess node(int k) {
    return nodes.get(k - 1);
  }

  /** The link from node {@code from} to node {@code to} (1-based). */
  TcpProxy link(int from, int to) {
    if (links == null) {
      throw new IllegalStateException("this cluster has no proxies");
    }
    return links[from - 1][to - 1];
  }

  /** Cuts every peer link to and from node {@code k}, both ways. */
  void isolate(int k) {
    for (int j = 1; j <= nodes.size(); j++) {
      if (j != k) {
        link(k, j).cut();
        link(j, k).cut();
      }
    }
  }

  /** Restores every peer link. */
  void healAll() {
    for (int i = 1; i <= nodes.size(); i++) {
      for (int j = 1; j <= nodes.size(); j++) {
        if (i != j) {
          link(i, j).heal();
        }
      }
    }
  }

  /** The members {@code observer}'s {@code GET /cluster} reports reachable (itself included). */
  Set<String> reachableFrom(NodeProcess observer) throws IOException {
    Api.Resp r = api.get(observer.url, "/cluster");
    if (r.status() != 200) {
      throw new AssertionError(observer.id + " GET /cluster: " + r);
    }
    Set<String> ids = new TreeSet<>();
    r.json().get("members").forEach(m -> {
      if (m.get("reachable").asBoolean()) {
        ids.add(m.get("id").asText());
      }
    });
    return ids;
  }

  /**
   * Polls until every node hears from every member. "Reachable" means heard from within the last
   * second or so, which a loaded machine can miss now and then: poll, never sample once.
   */
  void awaitAllReachable(Duration timeout) {
    for (NodeProcess n : nodes) {
      Await.until(n.id + " to hear from every member", timeout, () -> reachableFrom(n).size() == nodes.size());
    }
  }

  /** {@code GET /head} of each running node: id → "length head". */
  Map<String, String> heads() throws IOException {
    Map<String, String> heads = new LinkedHashMap<>();
    for (NodeProcess n : nodes) {
      if (n.alive()) {
        Api.Resp r = api.get(n.url, "/head");
        if (r.status() != 200) {
          throw new AssertionError(n.id + " GET /head: " + r);
        }
        heads.put(n.id, r.num("length") + " " + r.str("head"));
      }
    }
    return heads;
  }

  /**
   * Polls until every running node reports the same head and no node holds queued entries of its
   * own (so nothing is still on its way into the log); returns that head's length.
   */
  long awaitConverged(Duration timeout) {
    Map<String, String> heads = Await.until("the heads of " + nodes + " to converge", timeout, () -> {
      Map<String, String> h = heads();
      for (NodeProcess n : nodes) {
        if (n.alive() && gauge(n, "raftsimple_queued_entries") != 0) {
          return null;
        }
      }
      return h;
    }, h -> h != null && h.values().stream().distinct().count() == 1);
    String any = heads.values().iterator().next();
    return Long.parseLong(any.substring(0, any.indexOf(' ')));
  }

  /** The value of an unlabelled gauge or counter in the node's {@code /metrics}. */
  double gauge(NodeProcess n, String name) throws IOException {
    Api.Resp r = api.get(n.url, "/metrics");
    if (r.status() != 200) {
      throw new AssertionError(n.id + " GET /metrics: " + r);
    }
    return metric(r.text(), name);
  }

  static double metric(String text, String name) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(?:\\{[^}]*\\})? (\\S+)$").matcher(text);
    if (!m.find()) {
      throw new AssertionError("no metric " + name + " in:\n" + text);
    }
    return Double.parseDouble(m.group(1));
  }

  /** {@code GET /cluster} of every running node, for failure messages. */
  String describe() {
    List<String> out = new ArrayList<>();
    for (NodeProcess n : nodes) {
      if (!n.alive()) {
        out.add(n.id + ": not running");
        continue;
      }
      try {
        out.add(n.id + ": " + api.get(n.url, "/cluster").text());
      } catch (IOException e) {
        out.add(n.id + ": " + e);
      }
    }
    return String.join("\n", out);
  }
}
