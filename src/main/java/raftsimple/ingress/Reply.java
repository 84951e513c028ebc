package raftsimple.ingress;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * An HTTP answer as a value: a status and a JSON body, or no body ({@code null}, e.g. 204). Route
 * logic computes replies; {@link Replies#send} is the one place that writes them.
 */
record Reply(int status, JsonNode body) {

  static Reply ok(JsonNode body) {
    return new Reply(200, body);
  }

  static Reply of(int status, JsonNode body) {
    return new Reply(status, body);
  }

  static Reply empty(int status) {
    return new Reply(status, null);
  }

  /** A fresh object node to fill in. */
  static ObjectNode object() {
    return Payloads.NODES.objectNode();
  }
}
