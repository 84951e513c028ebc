package raftsimple.ingress;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Which entries a {@code GET /watch} stream sends: all of them, or the key-value entries whose
 * payload {@code "key"} equals {@code key=K}, or starts with {@code prefix=P}. An entry whose payload
 * has no string {@code "key"} (another state machine's entry, a membership change) matches only
 * the unfiltered stream.
 */
record WatchFilter(String key, String prefix) {
  static final WatchFilter ALL = new WatchFilter(null, null);

  /**
   * From the query parameters {@code key} and {@code prefix} (each as given, possibly absent).
   *
   * @throws IllegalArgumentException naming the parameter when one is repeated, empty, longer than
   *     a key may be, or both are given
   */
  static WatchFilter of(List<String> keys, List<String> prefixes) {
    String key = single("key", keys);
    String prefix = single("prefix", prefixes);
    if (key != null && prefix != null) {
      throw new IllegalArgumentException("give key or prefix, not both");
    }
    return key == null && prefix == null ? ALL : new WatchFilter(key, prefix);
  }

  private static String single(String name, List<String> values) {
    if (values.isEmpty()) {
      return null;
    }
    if (values.size() > 1) {
      throw new IllegalArgumentException(name + ": give it at most once");
    }
    String v = values.get(0);
    if (v.isEmpty()) {
      throw new IllegalArgumentException(name + " is empty; leave it out to watch every entry");
    }
    if (v.getBytes(StandardCharsets.UTF_8).length > ReadRoutes.KEY_BYTES_MAX) {
      throw new IllegalArgumentException(name + " is longer than " + ReadRoutes.KEY_BYTES_MAX + " bytes");
    }
    return v;
  }

  boolean matches(WatchEvent e) {
    if (key == null && prefix == null) {
      return true;
    }
    String k = e.key();
    return k != null && (key != null ? k.equals(key) : k.startsWith(prefix));
  }
}
