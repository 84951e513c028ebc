package raftsimple.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import raftsimple.testkit.MetricsDoc;
import raftsimple.testkit.SseClient;

/**
 * {@code GET /watch} on a real three-node TLS cluster under write load: one watcher, the way an
 * EventSource behaves (same URL, {@code Last-Event-ID} on every reconnect), moves from n1 to n3,
 * back to n1, and rides through a restart of n1; it must see every committed entry exactly once,
 * in order, each as {@code GET /log} shows it. Then every node's {@code /metrics} is checked
 * against docs/METRICS.md.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class WatchIT {
  @RegisterExtension final E2e e2e = new E2e();

  /** An EventSource-like follower on its own thread: reconnects to {@link #target} after any end. */
  static final class Follower implements AutoCloseable {
    final HttpClient http;
    final List<SseClient.Event> seen = new CopyOnWriteArrayList<>();
    final List<String> errors = new CopyOnWriteArrayList<>();
    final List<String> connects = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private volatile URI target;
    private volatile SseClient current;
    private volatile boolean stopping;

    Follower(HttpClient http, URI target) {
      this.http = http;
      this.target = target;
      this.thread = new Thread(this::run, "watch-follower");
      thread.setDaemon(true);
      thread.start();
    }

    /** Drops the connection; the follower reconnects to {@code to}, resuming after what it saw. */
    void moveTo(URI to) {
      target = to;
      SseClient c = current;
      if (c != null) {
        c.close();
      }
    }

    long last() {
      return seen.isEmpty() ? 0 : seen.get(seen.size() - 1).index();
    }

    private void run() {
      while (!stopping) {
        URI to = target;
        String lastId = seen.isEmpty() ? null : seen.get(seen.size() - 1).id();
        try (SseClient c = SseClient.open(http, to.resolve("/watch?from=1"), lastId)) {
          current = c;
          connects.add(to + " after " + lastId + ": " + c.status());
          if (c.status() != 200) {
            errors.add(c.status() + " " + c.errorBody());
            backOff();
            continue;
          }
          for (SseClient.Event e = c.next(Duration.ofMillis(500)); !stopping && target == to;
              e = c.next(Duration.ofMillis(500))) {
            if (e == null) {
              continue;
            }
            if (SseClient.END.equals(e.type())) {
              break;
            }
            if ("error".equals(e.type())) {
              errors.add(Api.tree(e.data()).get("code").asText());
              continue;
            }
            seen.add(e);
          }
        } catch (IOException notUp) {
          backOff(); // the node is down or restarting: try again, as an EventSource does
        }
      }
    }

    private static void backOff() {
      try {
        Thread.sleep(100); // reconnection delay of the client, not a wait for the system under test
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public void close() {
      stopping = true;
      moveTo(target);
      try {
        thread.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Test
  void aWatcherSeesEveryCommittedEntryOnceInOrder_acrossReconnectsAndARestartOfItsNode() throws Exception {
    Cluster cluster = e2e.cluster(3, false, null);
    Api api = e2e.api();
    NodeProcess n1 = cluster.node(1);
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).sslContext(Tls.trusting(e2e.certs().resolve("ca.crt"))).build();
    Writers.Gen gen = (t, seq) -> new Writers.Request("w", "{\"op\":\"put\",\"key\":\"w" + t + "\",\"value\":" + seq + "}", null);
    Writers on2 = new Writers(api, cluster.node(2), 1, gen).start();
    Writers on3 = new Writers(api, cluster.node(3), 1, gen).start();
    List<Writers.Outcome> acked = new ArrayList<>();
    try (Follower f = new Follower(http, n1.url)) {
      Await.until("the watcher to see 30 entries on n1", Duration.ofSeconds(60), () -> f.last() >= 30);
      f.moveTo(cluster.node(3).url);
      long moved = f.last();
      Await.until("30 more on n3", Duration.ofSeconds(60), () -> f.last() >= moved + 30);
      f.moveTo(n1.url);
      long back = f.last();
      Await.until("30 more on n1 again", Duration.ofSeconds(60), () -> f.last() >= back + 30);
      n1.restart();
      long restarted = f.last();
      Await.until("30 more after n1's restart", Duration.ofSeconds(90), () -> f.last() >= restarted + 30);
      acked.addAll(on2.stop());
      acked.addAll(on3.stop());
      long length = cluster.awaitConverged(Duration.ofSeconds(60));
      Await.until("the watcher to reach the end of the log (" + length + ")", Duration.ofSeconds(60),
          () -> f.last() == length);
      System.out.println("WatchIT: " + length + " entries; connections " + f.connects + "; error events " + f.errors);

      List<Long> ids = f.seen.stream().map(SseClient.Event::index).toList();
      List<Long> expected = new ArrayList<>();
      for (long i = 1; i <= length; i++) {
        expected.add(i);
      }
      assertEquals(expected, ids, "every index once, in order");
      assertTrue(f.errors.contains("UNAVAILABLE"), "n1 ended the stream on its way down: " + f.errors);
      assertTrue(f.connects.size() >= 4, "reconnected: " + f.connects);

      Map<Long, JsonNode> log = LogReader.all(api, cluster.node(2).url, length);
      Map<String, Integer> txids = new HashMap<>();
      for (SseClient.Event e : f.seen) {
        JsonNode watched = Api.tree(e.data());
        assertEquals(log.get(e.index()), watched, "entry " + e.index() + " as GET /log shows it");
        txids.merge(watched.get("txid").asText(), 1, Integer::sum);
      }
      for (Writers.Outcome o : acked) {
        if (o.acked()) {
          assertEquals(1, txids.getOrDefault(o.txid(), 0), "acknowledged " + o);
        }
      }
    } finally {
      on2.signalStop();
      on3.signalStop();
    }

    String doc = Files.readString(E2e.projectDir().resolve("docs/METRICS.md"));
    for (NodeProcess n : cluster.nodes) {
      Api.Resp r = api.get(n.url, "/metrics");
      assertEquals(200, r.status());
      assertEquals(List.of(), MetricsDoc.problems(r.text(), doc), n.id + "'s /metrics against docs/METRICS.md");
    }
  }

  /** {@code GET /log} from 1 to {@code length}, in pages: index -> entry. */
  static final class LogReader {
    static Map<Long, JsonNode> all(Api api, URI node, long length) throws IOException {
      Map<Long, JsonNode> out = new HashMap<>();
      for (long from = 1; from <= length; from += 1000) {
        Api.Resp r = api.get(node, "/log?from=" + from + "&limit=1000");
        assertEquals(200, r.status(), r.toString());
        for (JsonNode e : r.json().get("entries")) {
          out.put(e.get("index").asLong(), e);
        }
      }
      assertEquals(length, out.size());
      return out;
    }
  }
}
