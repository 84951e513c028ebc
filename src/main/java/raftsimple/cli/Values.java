package raftsimple.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import raftsimple.statemachine.Json;

/**
 * Values on the command line and on stdout. An argument that parses as one JSON value is that
 * value ({@code 42}, {@code true}, {@code null}, {@code '{"a":1}'}, {@code '"quoted"'}); anything
 * else is the string itself ({@code blue}, {@code hello world}). A value printed is its text when
 * it is a string, else its compact JSON: {@code put k blue} then {@code get k} prints {@code blue}.
 */
final class Values {
  private Values() {}

  static JsonNode parse(String arg) {
    try {
      return Json.parse(arg.getBytes(StandardCharsets.UTF_8));
    } catch (IllegalArgumentException notJson) {
      return Json.NODES.textNode(arg);
    }
  }

  /** A JSON argument that must be JSON ({@code submit}); exit 2 naming the problem otherwise. */
  static JsonNode json(String arg, String what) {
    try {
      return Json.parse(arg.getBytes(StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      throw CtlException.usage(what + " is not JSON: " + e.getMessage());
    }
  }

  static String print(JsonNode value) {
    return value.isTextual() ? value.asText() : compact(value);
  }

  static String compact(JsonNode n) {
    return new String(Json.compact(n), StandardCharsets.UTF_8);
  }
}
