package raftsimple.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.util.Map;
import java.util.Set;

/**
 * Typed, path-aware reads from one JSON object of the config. Every failure names the full key
 * path ({@code peers[1].url}) or, when the value came from the environment, the variable.
 * A missing key or an explicit {@code null} takes the caller's default.
 */
final class Fields {
  private final JsonObject json;
  private final String path;
  private final Map<String, String> origins;

  Fields(JsonObject json, String path, Map<String, String> origins) {
    this.json = json;
    this.path = path;
    this.origins = origins;
  }

  /** The full path of {@code key} inside this object. */
  String at(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  /** The error for {@code key}: names the environment variable if the value came from one. */
  ConfigException error(String key, String detail) {
    String full = at(key);
    String variable = origins.get(full);
    if (variable != null) {
      return ConfigException.atEnv(variable, "config key '" + full + "': " + detail);
    }
    return ConfigException.atKey(full, detail);
  }

  void allowOnly(Set<String> known) {
    for (String key : json.fieldNames()) {
      if (!known.contains(key)) {
        throw error(key, "unknown key (known here: " + String.join(", ", known) + ")");
      }
    }
  }

  boolean has(String key) {
    return json.getValue(key) != null;
  }

  String string(String key, String dflt) {
    String value = optionalString(key);
    if (value == null) {
      return dflt;
    }
    if (value.isBlank()) {
      throw error(key, "must not be empty");
    }
    return value;
  }

  String optionalString(String key) {
    Object value = json.getValue(key);
    if (value == null || value instanceof String) {
      return (String) value;
    }
    throw error(key, "must be a string, got " + describe(value));
  }

  boolean bool(String key, boolean dflt) {
    Object value = json.getValue(key);
    if (value == null) {
      return dflt;
    }
    if (value instanceof Boolean) {
      return (Boolean) value;
    }
    throw error(key, "must be true or false, got " + describe(value));
  }

  /** An integer in {@code min..max}; fractions, strings and out-of-range values are rejected. */
  long integer(String key, long dflt, long min, long max) {
    Object value = json.getValue(key);
    if (value == null) {
      return dflt;
    }
    if (!isWhole(value)) {
      throw error(key, "must be an integer, got " + describe(value));
    }
    BigInteger big = new BigInteger(value.toString());
    if (big.compareTo(BigInteger.valueOf(min)) < 0 || big.compareTo(BigInteger.valueOf(max)) > 0) {
      throw error(key, "must be in " + min + ".." + max + ", got " + value);
    }
    return big.longValueExact();
  }

  private static boolean isWhole(Object value) {
    return value instanceof Integer
        || value instanceof Long
        || value instanceof Short
        || value instanceof Byte
        || value instanceof BigInteger;
  }

  /** The object at {@code key}, or null when absent. */
  JsonObject object(String key) {
    Object value = json.getValue(key);
    if (value == null || value instanceof JsonObject) {
      return (JsonObject) value;
    }
    throw error(key, "must be an object, got " + describe(value));
  }

  /** The array at {@code key}, empty when absent. */
  JsonArray array(String key) {
    Object value = json.getValue(key);
    if (value == null) {
      return new JsonArray();
    }
    if (value instanceof JsonArray) {
      return (JsonArray) value;
    }
    throw error(key, "must be an array, got " + describe(value));
  }

  /** A short description of a JSON value for error messages. */
  static String describe(Object value) {
    if (value == null) {
      return "null";
    }
    if (value instanceof String) {
      return EnvOverrides.quoted((String) value);
    }
    if (value instanceof JsonObject) {
      return "an object";
    }
    if (value instanceof JsonArray) {
      return "an array";
    }
    return value.toString();
  }
}
