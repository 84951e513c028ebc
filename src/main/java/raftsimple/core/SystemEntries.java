package raftsimple.core;

import raftsimple.core.msg.Membership;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import raftsimple.core.msg.Membership.Change;
import raftsimple.core.msg.Membership.Role;

/**
 * Entries the system itself writes into the log (docs/PROTOCOL.md §11): membership changes. Their
 * payload is a flat JSON object whose first field is {@code "$raftsimple"}; client payloads with
 * that field are refused at ingress, so the two never mix. The layout is fixed and is exactly the
 * compact form Jackson would print, so the entries hash and verify like any other:
 *
 * <pre>{"$raftsimple":"membership","op":"ADD","id":"n4","url":"https://10.0.0.4:6969","role":"LEARNER","base":17}</pre>
 *
 * Decoding is strict and total: anything that starts like a system entry but does not decode is a
 * system entry that changes nothing.
 */
public final class SystemEntries {
  private static final String PREFIX = "{\"$raftsimple\":";
  private static final byte[] PREFIX_BYTES = PREFIX.getBytes(StandardCharsets.UTF_8);

  private SystemEntries() {}

  /** True when {@code payload} is a system entry (whether or not it decodes). */
  public static boolean isSystem(byte[] payload) {
    if (payload.length < PREFIX_BYTES.length) {
      return false;
    }
    for (int i = 0; i < PREFIX_BYTES.length; i++) {
      if (payload[i] != PREFIX_BYTES[i]) {
        return false;
      }
    }
    return true;
  }

  public static byte[] encode(Change c) {
    checkPlain(c.id());
    String url = c.url() == null ? "" : c.url();
    checkPlain(url);
    String role = c.role() == null ? "" : c.role().name();
    String json = PREFIX + "\"membership\",\"op\":\"" + c.op().name() + "\",\"id\":\"" + c.id()
        + "\",\"url\":\"" + url + "\",\"role\":\"" + role + "\",\"base\":" + c.base() + "}";
    return json.getBytes(StandardCharsets.UTF_8);
  }

  /** The membership change in {@code payload}, or null when it is not a well-formed one. */
  public static Change decodeMembership(byte[] payload) {
    Map<String, String> f = parseFlat(new String(payload, StandardCharsets.UTF_8));
    if (f == null || !"membership".equals(f.get("$raftsimple")) || f.size() != 6) {
      return null;
    }
    try {
      Change.Op op = Change.Op.valueOf(f.get("op"));
      String role = f.get("role");
      String url = f.get("url");
      long base = Long.parseLong(f.get("base"));
      if (f.get("id") == null || f.get("id").isEmpty() || base < 0) {
        return null;
      }
      return new Change(op, f.get("id"), url == null || url.isEmpty() ? null : url,
          role == null || role.isEmpty() ? null : Role.valueOf(role), base);
    } catch (IllegalArgumentException | NullPointerException e) {
      return null;
    }
  }

  /**
   * Applies the system entry {@code e} to {@code m}: the result, or null when {@code e} is not a
   * system entry. A malformed one is refused and changes nothing. Used identically when a node
   * decides or fetches a batch and when it replays its log, so every node computes the same
   * configuration for every head.
   */
  public static Membership.Result applyTo(Membership m, raftsimple.chain.LogEntry e) {
    if (!isSystem(e.entry().payload())) {
      return null;
    }
    Change c = decodeMembership(e.entry().payload());
    return c == null ? new Membership.Result(m, "not a well-formed membership change")
        : m.apply(c, e.index());
  }

  /** Ids and URLs in system entries are plain printable ASCII without quotes or backslashes. */
  private static void checkPlain(String s) {
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      if (ch < 0x21 || ch > 0x7e || ch == '"' || ch == '\\') {
        throw new IllegalArgumentException("not plain ASCII: " + s);
      }
    }
  }

  /**
   * Parses {@code {"k":"v","k2":123,...}} with plain string values (no escapes) and integers;
   * returns null for anything else.
   */
  private static Map<String, String> parseFlat(String s) {
    if (!s.startsWith("{") || !s.endsWith("}")) {
      return null;
    }
    Map<String, String> out = new LinkedHashMap<>();
    int i = 1;
    int end = s.length() - 1;
    while (i < end) {
      int[] pos = {i};
      String key = string(s, pos);
      if (key == null || pos[0] >= end || s.charAt(pos[0]) != ':') {
        return null;
      }
      pos[0]++;
      String value = s.charAt(pos[0]) == '"' ? string(s, pos) : number(s, pos);
      if (value == null || out.put(key, value) != null) {
        return null;
      }
      i = pos[0];
      if (i < end) {
        if (s.charAt(i) != ',') {
          return null;
        }
        i++;
      }
    }
    return out;
  }

  private static String string(String s, int[] pos) {
    int i = pos[0];
    if (i >= s.length() || s.charAt(i) != '"') {
      return null;
    }
    int close = s.indexOf('"', i + 1);
    if (close < 0) {
      return null;
    }
    String v = s.substring(i + 1, close);
    if (v.indexOf('\\') >= 0) {
      return null;
    }
    pos[0] = close + 1;
    return v;
  }

  private static String number(String s, int[] pos) {
    int i = pos[0];
    int j = i;
    while (j < s.length() && Character.isDigit(s.charAt(j))) {
      j++;
    }
    if (j == i || j - i > 18) {
      return null;
    }
    pos[0] = j;
    return s.substring(i, j);
  }
}
