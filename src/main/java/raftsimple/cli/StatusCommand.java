package raftsimple.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import raftsimple.statemachine.Json;

/**
 * {@code status}: every member as the first reachable node sees it ({@code GET /cluster}): role,
 * committed length, lag behind the longest log, head and reachability, as a table or JSON.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = "Shows every member: role, committed length, lag (entries behind the longest "
        + "log among the members), head and whether the node answering (marked *) hears from it.")
final class StatusCommand extends CtlCommand {
  @Option(names = "--json", description = "print {\"nodeId\",\"members\":[{\"id\",\"url\",\"role\","
      + "\"length\",\"lag\",\"head\",\"reachable\"}]} instead of a table")
  boolean json;

  /** One member's row. {@code length} is -1 when the answering node does not know it. */
  record Row(String id, String url, String role, long length, long lag, String head, boolean reachable) {}

  @Override
  public Integer call() {
    ClusterClient.Response<byte[]> r = ClusterClient.ok(client().get("/cluster"));
    JsonNode cluster = ClusterClient.json(r);
    List<Row> rows = rows(cluster);
    String self = cluster.path("nodeId").asText();
    if (json) {
      out().println(Values.compact(toJson(self, rows)));
    } else {
      out().print(table(self, rows));
      out().println("(as seen by " + self + " at " + r.endpoint() + ")");
    }
    return ExitCodes.OK;
  }

  static List<Row> rows(JsonNode cluster) {
    long longest = 0;
    for (JsonNode m : cluster.path("members")) {
      longest = Math.max(longest, m.path("length").asLong(0));
    }
    List<Row> rows = new ArrayList<>();
    for (JsonNode m : cluster.path("members")) {
      long length = m.has("length") ? m.get("length").asLong() : -1;
      rows.add(new Row(m.path("id").asText(), m.path("url").asText(), m.path("role").asText(),
          length, length < 0 ? -1 : longest - length, m.path("head").asText(""),
          m.path("reachable").asBoolean(false)));
    }
    return rows;
  }

  static ObjectNode toJson(String self, List<Row> rows) {
    ObjectNode o = Json.NODES.objectNode();
    o.put("nodeId", self);
    ArrayNode arr = o.putArray("members");
    for (Row row : rows) {
      ObjectNode m = arr.addObject();
      m.put("id", row.id());
      m.put("url", row.url());
      m.put("role", row.role());
      if (row.length() >= 0) {
        m.put("length", row.length());
        m.put("lag", row.lag());
      }
      m.put("head", row.head());
      m.put("reachable", row.reachable());
    }
    return o;
  }

  static String table(String self, List<Row> rows) {
    List<String[]> cells = new ArrayList<>();
    cells.add(new String[] {"ID", "ROLE", "REACHABLE", "LENGTH", "LAG", "HEAD", "URL"});
    for (Row r : rows) {
      cells.add(new String[] {r.id() + (r.id().equals(self) ? " *" : ""), r.role(),
          r.reachable() ? "yes" : "NO", r.length() < 0 ? "?" : Long.toString(r.length()),
          r.lag() < 0 ? "?" : Long.toString(r.lag()),
          r.head().length() > 16 ? r.head().substring(0, 16) : r.head(), r.url()});
    }
    int[] width = new int[cells.get(0).length];
    for (String[] row : cells) {
      for (int i = 0; i < row.length; i++) {
        width[i] = Math.max(width[i], row[i].length());
      }
    }
    StringBuilder sb = new StringBuilder();
    for (String[] row : cells) {
      for (int i = 0; i < row.length; i++) {
        sb.append(i == row.length - 1 ? row[i] : String.format("%-" + (width[i] + 2) + "s", row[i]));
      }
      sb.append('\n');
    }
    return sb.toString();
  }
}
