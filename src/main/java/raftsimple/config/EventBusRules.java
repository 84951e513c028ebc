package raftsimple.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Validation of {@code eventbus}: required with {@code transport: "eventbus"}, where it names the
 * address this node's cluster manager binds to and the other members' (explicit discovery, no
 * multicast). Accepted but unused with other transports.
 */
final class EventBusRules {
  private static final Set<String> KEYS = new TreeSet<>(List.of("host", "port", "members"));

  private EventBusRules() {}

  static NodeConfig.EventBus parse(Fields top, String transport) {
    JsonObject json = top.object("eventbus");
    if (json == null) {
      if (PluginRules.EVENTBUS.equals(transport)) {
        throw top.error("eventbus", "is required with transport \"eventbus\": "
            + "{\"host\": ..., \"port\": ..., \"members\": [\"host:port\", ...]}");
      }
      return null;
    }
    Fields eb = new Fields(json, "eventbus", Map.of());
    eb.allowOnly(KEYS);
    if (!eb.has("host")) {
      throw eb.error("host", "is required");
    }
    if (!eb.has("port")) {
      throw eb.error("port", "is required");
    }
    String host = eb.string("host", null);
    int port = (int) eb.integer("port", 0, 1, 65_535);
    return new NodeConfig.EventBus(host, port, members(eb.array("members")));
  }

  private static List<String> members(JsonArray array) {
    List<String> members = new ArrayList<>();
    for (int i = 0; i < array.size(); i++) {
      Object value = array.getValue(i);
      String path = "eventbus.members[" + i + "]";
      if (!(value instanceof String) || !isHostPort((String) value)) {
        throw ConfigException.atKey(path, "must be \"host:port\" with port 1..65535, got "
            + Fields.describe(value));
      }
      members.add((String) value);
    }
    return members;
  }

  private static boolean isHostPort(String text) {
    int colon = text.lastIndexOf(':');
    if (colon < 1 || colon == text.length() - 1 || text.substring(0, colon).isBlank()) {
      return false;
    }
    try {
      int port = Integer.parseInt(text.substring(colon + 1));
      return port >= 1 && port <= 65_535;
    } catch (NumberFormatException e) {
      return false;
    }
  }
}
