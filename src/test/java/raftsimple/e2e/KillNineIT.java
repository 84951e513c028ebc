package raftsimple.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * SIGKILL in the middle of a write load: every entry acknowledged with 201 before the kill is in
 * the restarted node's log at its index with its txid, the chain verifies, the state is the replay
 * of the log, and an idempotent retry of a request whose answer was lost commits it at most once.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KillNineIT {
  @RegisterExtension final E2e e2e = new E2e();

  @Test
  void everyAcknowledgedEntrySurvivesKillNineMidLoad() throws IOException {
    NodeProcess n = e2e.single(null);
    Api api = e2e.api();
    Writers w = new Writers(api, n, 6, (t, s) -> {
      String key = "k-" + t + "-" + s;
      return new Writers.Request(key, "{\"op\":\"put\",\"key\":\"" + key + "\",\"value\":\"v-" + t + "-" + s + "\"}",
          s % 3 == 0 ? "idem-" + key : null);
    }).start();
    Await.until("400 answers before the kill", Duration.ofSeconds(60), () -> w.count() >= 400);

    w.signalStop(); // no new requests: those in flight now are the ones the kill interrupts
    assertEquals(137, n.kill(), "SIGKILL");
    List<Writers.Outcome> outcomes = w.join();
    List<Writers.Outcome> acked = outcomes.stream().filter(Writers.Outcome::acked).toList();
    List<Writers.Outcome> answeredBadly = outcomes.stream().filter(o -> o.resp() != null && !o.acked()).toList();
    assertTrue(answeredBadly.isEmpty(), "the node answered something other than 201 while up: " + answeredBadly);
    List<Writers.Outcome> lost = outcomes.stream().filter(o -> o.resp() == null).toList();
    assertTrue(acked.size() >= 400, "acked: " + acked.size());
    assertTrue(lost.size() <= 6, "at most one request per writer was in flight: " + lost);

    n.start();
    List<LogChain.Row> rows = LogChain.fetch(api, n.url);
    assertEquals(api.get(n.url, "/head").str("head"), LogChain.verify(rows));
    for (Writers.Outcome o : acked) {
      assertTrue(o.index() <= rows.size(), "acknowledged at " + o.index() + " but the log has " + rows.size() + ": " + o);
      LogChain.Row row = rows.get((int) o.index() - 1);
      assertEquals(o.txid(), row.txid(), "acknowledged entry at its index: " + o);
      assertEquals(o.request().payload(), row.payloadText());
    }
    // the log holds only what the clients sent: acknowledged entries and at most the lost ones
    Set<String> sent = outcomes.stream().map(o -> o.request().payload()).collect(Collectors.toSet());
    for (LogChain.Row r : rows) {
      assertTrue(sent.contains(r.payloadText()), "an entry nobody sent: " + r);
    }
    assertEquals(rows.size(), rows.stream().map(LogChain.Row::payloadText).distinct().count(),
        "no request is in the log twice");

    Map<String, JsonNode> expected = Kv.replay(rows);
    Set<String> keys = new HashSet<>(expected.keySet());
    outcomes.forEach(o -> keys.add(o.request().key()));
    assertEquals(expected, Kv.read(api, n.url, keys, false), "the state is the replay of the log");
    for (Writers.Outcome o : acked) {
      assertNotNull(expected.get(o.request().key()), "acknowledged put readable: " + o);
    }

    long lostButCommitted = lost.stream().filter(o -> rows.stream()
        .anyMatch(r -> r.payloadText().equals(o.request().payload()))).count();
    System.out.println("KillNineIT: " + acked.size() + " acknowledged, " + lost.size()
        + " unanswered at the kill (" + lostButCommitted + " of them committed), log length " + rows.size());

    // retrying lost keyed requests: each is in the log exactly once afterwards
    for (Writers.Outcome o : lost) {
      if (o.request().idempotencyKey() == null) {
        continue;
      }
      Api.Resp retry = api.submit(n.url, o.request().payload(), o.request().idempotencyKey());
      assertEquals(201, retry.status(), retry.toString());
    }
    List<LogChain.Row> after = LogChain.fetch(api, n.url);
    LogChain.verify(after);
    for (Writers.Outcome o : lost) {
      long copies = after.stream().filter(r -> r.payloadText().equals(o.request().payload())).count();
      assertTrue(o.request().idempotencyKey() == null ? copies <= 1 : copies == 1,
          copies + " copies of " + o);
    }
  }
}
