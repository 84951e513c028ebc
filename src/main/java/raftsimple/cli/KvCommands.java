package raftsimple.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import raftsimple.statemachine.Json;

/**
 * Writes and reads: the key-value state machine's operations ({@code put}, {@code get},
 * {@code delete}, {@code cas}, {@code append}) and {@code submit} for any state machine. A write
 * prints the node's reply ({@code {"txid","index","head","status","result"}}) once the entry is
 * committed; each carries a fresh {@code Idempotency-Key}, so that moving to the next endpoint
 * after a broken connection never commits it twice.
 */
final class KvCommands {
  private KvCommands() {}

  /** POST /entries; prints the committed reply. */
  static int submit(CtlCommand c, JsonNode payload) {
    ClusterClient.Response<byte[]> r = ClusterClient.ok(c.client().postJson("/entries",
        Json.compact(payload), "raftsimplectl-" + UUID.randomUUID()));
    c.out().println(Values.compact(ClusterClient.json(r)));
    return ExitCodes.OK;
  }

  static ObjectNode op(String op, String key) {
    ObjectNode o = Json.NODES.objectNode();
    o.put("op", op);
    o.put("key", key);
    return o;
  }

  /** A key as one path segment (a space is %20, not +). */
  static String segment(String key) {
    return URLEncoder.encode(key, StandardCharsets.UTF_8).replace("+", "%20");
  }

  @Command(name = "put", mixinStandardHelpOptions = true,
      description = "Sets KEY to VALUE (key-value state machine). VALUE is JSON when it parses as "
          + "JSON (42, true, '{\"a\":1}', '\"text\"'), else the string as given.")
  static final class Put extends CtlCommand {
    @Parameters(index = "0", paramLabel = "KEY") String key;
    @Parameters(index = "1", paramLabel = "VALUE") String value;

    @Override
    public Integer call() {
      JsonNode v = Values.parse(value);
      if (v.isNull()) {
        throw CtlException.usage("VALUE null is not a value: use delete " + key);
      }
      ObjectNode o = op("put", key);
      o.set("value", v);
      return submit(this, o);
    }
  }

  @Command(name = "get", mixinStandardHelpOptions = true,
      description = "Prints the value of KEY: a string as its text, anything else as JSON. "
          + "Exit 1 when the key does not exist.")
  static final class Get extends CtlCommand {
    @Parameters(index = "0", paramLabel = "KEY") String key;

    @Option(names = "--linearizable", description = "reflect every entry committed before the "
        + "request, on any node (default: the node's local state, which may lag)")
    boolean linearizable;

    @Option(names = "--json", description = "print the whole reply {\"key\",\"value\",\"index\"}")
    boolean json;

    @Override
    public Integer call() {
      String path = "/kv/" + segment(key) + (linearizable ? "?consistency=linearizable" : "");
      ClusterClient.Response<byte[]> r = client().get(path);
      if (r.status() == 404) {
        throw CtlException.refused("key \"" + key + "\" not found (" + r.endpoint() + ")");
      }
      JsonNode body = ClusterClient.json(ClusterClient.ok(r));
      out().println(json ? Values.compact(body) : Values.print(body.path("value")));
      return ExitCodes.OK;
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true, description = "Removes KEY.")
  static final class Delete extends CtlCommand {
    @Parameters(index = "0", paramLabel = "KEY") String key;

    @Override
    public Integer call() {
      return submit(this, op("delete", key));
    }
  }

  @Command(name = "cas", mixinStandardHelpOptions = true,
      description = "Sets KEY to VALUE only if it currently is EXPECT (compare-and-set); EXPECT "
          + "null means the key must not exist. Both are parsed as for put. Exit 1 when the "
          + "current value differs (the state machine refuses the entry; nothing is committed).")
  static final class Cas extends CtlCommand {
    @Parameters(index = "0", paramLabel = "KEY") String key;
    @Parameters(index = "1", paramLabel = "EXPECT") String expect;
    @Parameters(index = "2", paramLabel = "VALUE") String value;

    @Override
    public Integer call() {
      ObjectNode o = op("cas", key);
      o.set("expect", Values.parse(expect));
      o.set("value", Values.parse(value));
      return submit(this, o);
    }
  }

  @Command(name = "append", mixinStandardHelpOptions = true,
      description = "Appends VALUE (parsed as for put) to the list at KEY; prints the whole list "
          + "in the reply's result.")
  static final class Append extends CtlCommand {
    @Parameters(index = "0", paramLabel = "KEY") String key;
    @Parameters(index = "1", paramLabel = "VALUE") String value;

    @Override
    public Integer call() {
      ObjectNode o = op("append", key);
      o.set("value", Values.parse(value));
      return submit(this, o);
    }
  }

  @Command(name = "submit", mixinStandardHelpOptions = true,
      description = "Submits JSON as one entry, for any state machine (docs/STATE_MACHINES.md); "
          + "exit 1 when the state machine refuses it.")
  static final class Submit extends CtlCommand {
    @Parameters(index = "0", paramLabel = "JSON") String json;

    @Override
    public Integer call() {
      return submit(this, Values.json(json, "the entry"));
    }
  }
}
