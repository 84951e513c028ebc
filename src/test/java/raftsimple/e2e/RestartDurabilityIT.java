package raftsimple.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One node and its disk: everything acknowledged survives SIGTERM and a restart (log, head, state,
 * the idempotency table); a config error exits 2 naming the key; a WAL damaged in the middle stops
 * the node (exit 2, naming the file and offset); a torn tail is repaired.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RestartDurabilityIT {
  @RegisterExtension final E2e e2e = new E2e();

  /** Puts to distinct keys, every 4th an append to the thread's list, every 5th with a key. */
  static Writers.Request mixed(int t, long s) {
    String idem = s % 5 == 0 ? "idem-" + t + "-" + s : null;
    if (s % 4 == 3) {
      return new Writers.Request("list-" + t,
          "{\"op\":\"append\",\"key\":\"list-" + t + "\",\"value\":" + s + "}", idem);
    }
    String key = "key-" + t + "-" + s;
    return new Writers.Request(key,
        "{\"op\":\"put\",\"key\":\"" + key + "\",\"value\":{\"t\":" + t + ",\"s\":" + s + "}}", idem);
  }

  static List<Writers.Outcome> writeAll(Api api, NodeProcess n, int threads, long perThread) {
    List<Writers.Outcome> out = new Writers(api, n, threads, perThread, RestartDurabilityIT::mixed).start().join();
    List<Writers.Outcome> bad = out.stream().filter(o -> !o.acked()).toList();
    assertTrue(bad.isEmpty(), bad.size() + " requests were not committed, e.g. " + bad.stream().limit(5).toList());
    return out;
  }

  @Test
  void twoThousandEntriesSurviveSigtermAndARestart() throws IOException {
    NodeProcess n = e2e.single(null);
    Api api = e2e.api();
    List<Writers.Outcome> acks = writeAll(api, n, 8, 250);

    Api.Resp head = api.get(n.url, "/head");
    assertEquals(2000, head.num("length"));
    List<LogChain.Row> rows = LogChain.fetch(api, n.url);
    assertEquals(head.str("head"), LogChain.verify(rows));
    for (Writers.Outcome o : acks) {
      LogChain.Row row = rows.get((int) o.index() - 1);
      assertEquals(o.txid(), row.txid(), o.toString());
      assertEquals(o.request().payload(), row.payloadText(), o.toString());
      assertEquals(o.request().idempotencyKey(), row.idempotencyKey(), o.toString());
    }
    Map<String, JsonNode> expected = Kv.replay(rows);
    Map<String, JsonNode> before = Kv.read(api, n.url, expected.keySet(), false);
    assertEquals(expected, before, "the state is the replay of the log");

    assertEquals(0, n.term(), "SIGTERM exits 0");
    n.start();

    Api.Resp headAfter = api.get(n.url, "/head");
    assertEquals(head.num("length"), headAfter.num("length"));
    assertEquals(head.str("head"), headAfter.str("head"));
    assertEquals(rows, LogChain.fetch(api, n.url), "the same log after the restart");
    assertEquals(before, Kv.read(api, n.url, expected.keySet(), false), "the same state after the restart");

    // a retry with a remembered key gets the original outcome and writes nothing
    List<Writers.Outcome> keyed = acks.stream().filter(o -> o.request().idempotencyKey() != null).toList();
    assertTrue(keyed.size() >= 350, "keyed: " + keyed.size());
    for (int i = 0; i < keyed.size(); i += keyed.size() / 25) {
      Writers.Outcome o = keyed.get(i);
      Api.Resp retry = api.submit(n.url, o.request().payload(), o.request().idempotencyKey());
      assertEquals(201, retry.status(), retry.toString());
      assertEquals(o.resp().json(), retry.json(), "a retry of " + o);
    }
    Writers.Outcome first = keyed.get(0);
    Api.Resp reused = api.submit(n.url, "{\"op\":\"put\",\"key\":\"other\",\"value\":0}", first.request().idempotencyKey());
    assertEquals(422, reused.status(), reused.toString());
    assertEquals(head.str("head"), api.get(n.url, "/head").str("head"), "the retries wrote nothing");
  }

  @Test
  void aConfigErrorExits2NamingTheKey() throws IOException {
    Tls.assumeOpenssl();
    int port = Ports.free(1)[0];
    NodeProcess unknown = e2e.node("n1", port, List.of(),
        Api.JSON.createObjectNode().put("headTimeoutMillis", 500));
    assertEquals(2, unknown.launch().awaitExit(), unknown.logTail(20));
    assertTrue(unknown.stderr().contains("config key 'headTimeoutMillis'"), unknown.logTail(20));

    NodeProcess wrongType = e2e.node("n2", port, List.of(),
        Api.JSON.createObjectNode().put("requestTimeoutMs", "soon"));
    assertEquals(2, wrongType.launch().awaitExit(), wrongType.logTail(20));
    assertTrue(wrongType.stderr().contains("config key 'requestTimeoutMs'"), wrongType.logTail(20));
  }

  @Test
  void aWalCorruptedInTheMiddleStopsTheNodeNamingTheFileAndOffset() throws IOException {
    NodeProcess n = e2e.single(null);
    writeAll(e2e.api(), n, 4, 50);
    assertEquals(0, n.term());

    Path segment = WalFiles.lastSegment(n.dataDir);
    List<WalFiles.Frame> frames = WalFiles.frames(segment);
    assertTrue(frames.size() > 20, "frames: " + frames.size());
    WalFiles.Frame victim = frames.get(frames.size() / 2);
    WalFiles.flipByte(segment, victim.offset() + WalFiles.FRAME_HEADER + victim.length() / 2);

    int status = n.launch().awaitExit();
    assertEquals(2, status, n.logTail(30));
    String err = n.stderr();
    assertTrue(err.contains(segment + " at byte offset " + victim.offset()),
        "stderr names " + segment + " and offset " + victim.offset() + ":\n" + n.logTail(30));
  }

  @Test
  void aTornTailIsRepairedAndTheNodeKeepsEveryEntryBeforeIt() throws IOException {
    NodeProcess n = e2e.single(null);
    Api api = e2e.api();
    writeAll(api, n, 4, 25);
    // the last entry alone, so that the last frames are its own vote and commit
    Api.Resp last = api.submit(n.url, "{\"op\":\"put\",\"key\":\"last\",\"value\":1}");
    assertEquals(201, last.status(), last.toString());
    List<LogChain.Row> rows = LogChain.fetch(api, n.url);
    long length = rows.size();
    assertEquals(0, n.term());

    Path segment = WalFiles.lastSegment(n.dataDir);
    List<WalFiles.Frame> frames = WalFiles.frames(segment);
    WalFiles.Frame tail = frames.get(frames.size() - 1);
    assertEquals(WalFiles.TYPE_COMMIT, tail.type(), "the last record is a commit: " + frames.subList(frames.size() - 3, frames.size()));
    assertEquals(1, tail.entries(), "it commits the last entry alone");
    WalFiles.truncate(segment, tail.end() - 3);

    n.start();
    assertTrue(n.output().contains("WAL torn tail: truncating " + segment + " at byte offset " + tail.offset()),
        "the repair is logged with the file and offset " + tail.offset() + ":\n" + n.logTail(30));
    List<LogChain.Row> after = LogChain.fetch(api, n.url);
    assertTrue(after.size() >= length - 1, "lost more than the torn entry: " + after.size() + " of " + length);
    assertEquals(rows.subList(0, (int) length - 1), after.subList(0, (int) length - 1),
        "every entry before the tear, unchanged");
    LogChain.verify(after);
    // The last entry's vote (the frame before the torn commit) survived: recovery may decide it
    // again, with the same txid; nothing else may appear.
    Api.Resp settled = Await.until("the node to settle", Duration.ofSeconds(10),
        () -> api.get(n.url, "/ready"), r -> r.status() == 200);
    assertTrue(settled.num("length") <= length, settled.toString());
    List<LogChain.Row> finalRows = LogChain.fetch(api, n.url);
    assertEquals(rows.subList(0, finalRows.size()), finalRows);
    System.out.println("torn tail: length " + length + " before, " + after.size() + " at start, "
        + finalRows.size() + " when ready");
  }
}
