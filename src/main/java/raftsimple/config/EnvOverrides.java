package raftsimple.config;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Environment overrides: {@code RAFTSIMPLE_<UPPER_SNAKE_KEY>} replaces the scalar config key it is
 * named after (e.g. {@code RAFTSIMPLE_HEAD_TIMEOUT_MS} → {@code headTimeoutMs},
 * {@code RAFTSIMPLE_TLS_ENABLED} → {@code tls.enabled}). Only the names listed here are ever read,
 * so unrelated variables can never look like config. Values are text and are converted to the
 * key's JSON type here, so that a bad value is reported against the variable, not the key.
 */
final class EnvOverrides {

  /** The JSON type a key's override is converted to. */
  enum Kind {
    STRING,
    /** A string where an empty value means null (no {@code join}). */
    OPTIONAL_STRING,
    INTEGER,
    BOOLEAN
  }

  static final String PREFIX = "RAFTSIMPLE_";

  private static final Map<String, Kind> KEYS = keys();

  /** The overridden JSON and, for each key path that came from the environment, its variable. */
  record Applied(JsonObject json, Map<String, String> origins) {}

  private EnvOverrides() {}

  private static Map<String, Kind> keys() {
    Map<String, Kind> keys = new LinkedHashMap<>();
    keys.put("nodeId", Kind.STRING);
    keys.put("host", Kind.STRING);
    keys.put("port", Kind.INTEGER);
    keys.put("dataDir", Kind.STRING);
    keys.put("readOnly", Kind.BOOLEAN);
    keys.put("join", Kind.OPTIONAL_STRING);
    keys.put("transport", Kind.STRING);
    keys.put("stateMachine", Kind.STRING);
    keys.put("headTimeoutMs", Kind.INTEGER);
    keys.put("tls.enabled", Kind.BOOLEAN);
    for (String limit : ConfigParser.LIMIT_KEYS) {
      keys.put(limit, Kind.INTEGER);
    }
    return Collections.unmodifiableMap(keys);
  }

  /** The variable that overrides {@code keyPath}: {@code headTimeoutMs} → {@code RAFTSIMPLE_HEAD_TIMEOUT_MS}. */
  static String variableFor(String keyPath) {
    StringBuilder name = new StringBuilder(PREFIX);
    for (char c : keyPath.toCharArray()) {
      if (c == '.') {
        name.append('_');
      } else if (Character.isUpperCase(c)) {
        name.append('_').append(c);
      } else {
        name.append(Character.toUpperCase(c));
      }
    }
    return name.toString();
  }

  /** Every variable name that is read, in key order. */
  static List<String> variableNames() {
    List<String> names = new ArrayList<>();
    for (String key : KEYS.keySet()) {
      names.add(variableFor(key));
    }
    return List.copyOf(names);
  }

  /** A copy of {@code json} with every set override applied; {@code json} is not changed. */
  static Applied apply(JsonObject json, Map<String, String> env) {
    JsonObject out = json.copy();
    Map<String, String> origins = new TreeMap<>();
    for (Map.Entry<String, Kind> key : KEYS.entrySet()) {
      String variable = variableFor(key.getKey());
      String text = env.get(variable);
      if (text != null) {
        put(out, key.getKey(), convert(variable, key.getValue(), text));
        origins.put(key.getKey(), variable);
      }
    }
    return new Applied(out, Collections.unmodifiableMap(origins));
  }

  private static Object convert(String variable, Kind kind, String text) {
    String trimmed = text.trim();
    switch (kind) {
      case INTEGER:
        try {
          return Long.parseLong(trimmed);
        } catch (NumberFormatException e) {
          throw ConfigException.atEnv(variable, "not an integer: " + quoted(text));
        }
      case BOOLEAN:
        if (trimmed.equalsIgnoreCase("true") || trimmed.equalsIgnoreCase("false")) {
          return Boolean.parseBoolean(trimmed.toLowerCase(Locale.ROOT));
        }
        throw ConfigException.atEnv(variable, "not true or false: " + quoted(text));
      case OPTIONAL_STRING:
        return trimmed.isEmpty() ? null : text;
      default:
        return text;
    }
  }

  /** Sets a top-level key, or {@code tls.enabled} inside a (copied or new) {@code tls} object. */
  private static void put(JsonObject json, String keyPath, Object value) {
    int dot = keyPath.indexOf('.');
    if (dot < 0) {
      json.put(keyPath, value);
      return;
    }
    String outer = keyPath.substring(0, dot);
    Object existing = json.getValue(outer);
    if (existing != null && !(existing instanceof JsonObject)) {
      return; // wrong type in the file: the parser reports it against the key
    }
    JsonObject inner = existing == null ? new JsonObject() : ((JsonObject) existing).copy();
    json.put(outer, inner.put(keyPath.substring(dot + 1), value));
  }

  static String quoted(String text) {
    return '"' + text.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }
}
