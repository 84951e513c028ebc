package raftsimple.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The log itself: {@code log}, {@code head}, {@code verify}. */
final class LogCommands {
  private LogCommands() {}

  @Command(name = "log", mixinStandardHelpOptions = true,
      description = "Prints committed entries, one JSON object a line (the entries of GET /log: "
          + "index, txid, hash, prev, origin, ts, payload). Exit 1 when FROM is below the first "
          + "retained entry (compacted into a snapshot; the message gives the first index).")
  static final class Log extends CtlCommand {
    @Option(names = "--from", paramLabel = "INDEX", defaultValue = "1",
        description = "first index (default: ${DEFAULT-VALUE})")
    long from;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "100",
        description = "at most this many entries (default: ${DEFAULT-VALUE}); fetched 1000 a request")
    long limit;

    @Override
    public Integer call() {
      if (from < 1 || limit < 1) {
        throw CtlException.usage("--from and --limit must be at least 1");
      }
      long next = from;
      long left = limit;
      while (left > 0) {
        long page = Math.min(left, RemoteChain.PAGE);
        JsonNode body = ClusterClient.json(ClusterClient.ok(
            client().get("/log?from=" + next + "&limit=" + page)));
        JsonNode entries = body.path("entries");
        for (JsonNode e : entries) {
          out().println(Values.compact(e));
        }
        if (entries.size() < page) {
          break;
        }
        next += entries.size();
        left -= entries.size();
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "head", mixinStandardHelpOptions = true,
      description = "Prints the node's head: {\"head\",\"length\",\"nodeId\"}.")
  static final class Head extends CtlCommand {
    @Override
    public Integer call() {
      out().println(Values.compact(ClusterClient.json(ClusterClient.ok(client().get("/head")))));
      return ExitCodes.OK;
    }
  }

  @Command(name = "verify", mixinStandardHelpOptions = true,
      description = "Re-verifies the whole hash chain of the first reachable endpoint: recomputes "
          + "every txid and hash from GET /log and checks the last hash against the node's head. "
          + "Exit 1 when the chain is broken (the first problem is printed).")
  static final class Verify extends CtlCommand {
    @Override
    public Integer call() {
      RemoteChain.Result r = RemoteChain.verify(client(), out());
      if (!r.ok()) {
        out().println("chain BROKEN at " + client().current() + ": " + r.problem());
        return ExitCodes.REFUSED;
      }
      out().println("chain OK at " + client().current() + ": " + r.length() + " entries"
          + (r.firstChecked() > 1 ? " (re-hashed from " + r.firstChecked() + ")" : "")
          + ", head " + r.head());
      return ExitCodes.OK;
    }
  }
}
