package raftsimple.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import raftsimple.chain.ChainVerifier;
import raftsimple.chain.Entry;
import raftsimple.chain.Hash;
import raftsimple.chain.LogEntry;
import raftsimple.statemachine.Json;

/**
 * Re-verifies a node's whole hash chain through its public API ({@code GET /log}, 1000 entries a
 * page): every txid and chained hash is recomputed (docs/PROTOCOL.md §2) and the last hash must be
 * the head the node reports. Entries compacted into a snapshot cannot be re-hashed: the check then
 * starts at the first retained entry, trusting its {@code prev}, and says so. Used by
 * {@code raftsimplectl verify} and {@code deploy/verify-chain.sh} (tools/VerifyChain).
 */
final class RemoteChain {
  static final int PAGE = 1_000;

  /** The outcome: ok, how many entries were checked, from where, the head, or the first problem. */
  record Result(boolean ok, long length, long firstChecked, String head, String problem) {}

  private RemoteChain() {}

  /** Verifies the chain of the node {@code client} answers from; progress lines go to {@code out}. */
  static Result verify(ClusterClient client, PrintWriter out) {
    long length = 0;
    Hash head = Hash.ZERO;
    ClusterClient.Response<byte[]> first = client.get("/log?from=1&limit=1");
    java.net.URI node = first.endpoint();
    long firstIndex = 1;
    if (first.status() == 410) {
      firstIndex = ClusterClient.json(first).path("firstIndex").asLong(1);
      JsonNode page = ClusterClient.json(ClusterClient.ok(
          client.get("/log?from=" + firstIndex + "&limit=1")));
      length = firstIndex - 1;
      head = Hash.parse(page.get("entries").get(0).get("prev").asText());
      out.println("entries 1.." + length + " were compacted into a snapshot on " + node
          + "; verifying from " + firstIndex);
    } else {
      ClusterClient.ok(first);
    }
    while (true) {
      ClusterClient.Response<byte[]> r = ClusterClient.ok(
          client.get("/log?from=" + (length + 1) + "&limit=" + PAGE));
      if (!r.endpoint().equals(node)) {
        throw new CtlException(ExitCodes.UNREACHABLE, node + " stopped answering while its chain "
            + "was being verified (now at " + r.endpoint() + "); run verify again");
      }
      JsonNode page = ClusterClient.json(r);
      List<LogEntry> entries = parse(page.get("entries"));
      String problem = ChainVerifier.firstProblem(length, head, entries);
      if (problem != null) {
        return new Result(false, length, firstIndex, head.hex(), problem);
      }
      if (!entries.isEmpty()) {
        length = entries.get(entries.size() - 1).index();
        head = entries.get(entries.size() - 1).hash();
      }
      long reported = page.get("length").asLong();
      if (entries.isEmpty() || length >= reported) {
        if (length == reported && !head.hex().equals(page.get("head").asText())) {
          return new Result(false, length, firstIndex, head.hex(), "the last hash " + head.hex()
              + " is not the head " + page.get("head").asText() + " that " + node + " reports");
        }
        return new Result(true, length, firstIndex, head.hex(), null);
      }
    }
  }

  /** The entries of a {@code GET /log} page, as the chain verifier takes them. */
  static List<LogEntry> parse(JsonNode arr) {
    List<LogEntry> out = new ArrayList<>();
    for (JsonNode e : arr) {
      out.add(entry(e));
    }
    return out;
  }

  /** One {@code GET /log} entry (also a watch event's data). */
  static LogEntry entry(JsonNode e) {
    byte[] payload = Json.compact(e.get("payload"));
    JsonNode key = e.get("idempotencyKey");
    Entry entry = new Entry(Hash.parse(e.get("txid").asText()), e.get("origin").asText(),
        e.get("ts").asLong(), payload, key == null ? null : key.asText());
    return new LogEntry(e.get("index").asLong(), Hash.parse(e.get("prev").asText()),
        Hash.parse(e.get("hash").asText()), entry);
  }
}
