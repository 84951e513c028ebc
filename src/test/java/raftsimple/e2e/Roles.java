package raftsimple.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Membership as the real-process tests see it through the API (docs/PROTOCOL.md §11): members and
 * their roles in {@code GET /cluster}, the read-only and removed members' refusals, and the
 * protocol-event metrics. Shared by MembershipIT and EventBusClusterIT (through {@link
 * ClusterScenarios}).
 */
final class Roles {
  private Roles() {}

  static final String VOTER = "voter";
  static final String READ_ONLY = "read-only";
  static final Duration CONVERGE = Duration.ofSeconds(60);

  static Map<String, String> roles(String... idRole) {
    Map<String, String> m = new TreeMap<>();
    for (int i = 0; i + 1 < idRole.length; i += 2) {
      m.put(idRole[i], idRole[i + 1]);
    }
    return m;
  }

  /** {@code GET /cluster} of {@code n}: member id → role. */
  static Map<String, String> rolesOn(Api api, NodeProcess n) throws IOException {
    Api.Resp r = api.get(n.url, "/cluster");
    if (r.status() != 200) {
      throw new AssertionError(n.id + " GET /cluster: " + r);
    }
    Map<String, String> m = new TreeMap<>();
    r.json().get("members").forEach(x -> m.put(x.get("id").asText(), x.get("role").asText()));
    return m;
  }

  static String roleOfSelf(Api api, NodeProcess n) throws IOException {
    for (JsonNode x : api.get(n.url, "/cluster").json().get("members")) {
      if (x.path("self").asBoolean()) {
        return x.get("role").asText();
      }
    }
    return null;
  }

  static void awaitRole(Api api, NodeProcess on, String id, Predicate<String> role, Duration timeout) {
    Await.until(on.id + "'s /cluster to show " + id + " in the expected role", timeout,
        () -> rolesOn(api, on), m -> m.get(id) != null && role.test(m.get(id)));
  }

  /** Waits until every node's {@code GET /cluster} shows exactly {@code expected}. */
  static void awaitRoles(Api api, List<NodeProcess> nodes, Map<String, String> expected) {
    for (NodeProcess n : nodes) {
      Await.until(n.id + "'s /cluster to show " + expected, CONVERGE, () -> rolesOn(api, n), expected::equals);
    }
  }

  // ---------------------------------------------------------------- helpers

  static Set<String> urls(NodeProcess... nodes) {
    Set<String> s = new LinkedHashSet<>();
    for (NodeProcess n : nodes) {
      s.add(n.url.toString());
    }
    return s;
  }

  /** A write to the read-only member: 403 READ_ONLY naming exactly {@code writable}. */
  static void assertReadOnlyRefuses(Api api, NodeProcess readOnly, Set<String> writable) throws IOException {
    Api.Resp r = api.submit(readOnly.url, "{\"op\":\"put\",\"key\":\"refused\",\"value\":1}");
    assertEquals(403, r.status(), r.toString());
    assertEquals("READ_ONLY", r.str("code"), r.toString());
    Set<String> named = new LinkedHashSet<>();
    r.json().get("writable").forEach(u -> named.add(u.asText()));
    assertEquals(writable, named, "the writable URLs " + r);
    Api.Resp keyed = api.submit(readOnly.url, "{\"op\":\"put\",\"key\":\"refused\",\"value\":2}", "idem-refused");
    assertEquals(403, keyed.status(), keyed.toString());
    Api.Resp nothing = api.get(readOnly.url, "/kv/refused");
    assertEquals(404, nothing.status(), "a refused write left nothing: " + nothing);
  }

  static void awaitAnswers(Writers w, long count) {
    Await.until(count + " answers to the client", CONVERGE, () -> w.count() >= count);
  }

  /** {@code raftsimple_protocol_events_total{event="..."}} (0 until the event first happens). */
  static double protocolEvents(String metrics, String event) {
    Matcher m = Pattern.compile("(?m)^raftsimple_protocol_events_total\\{[^}]*event=\""
        + Pattern.quote(event) + "\"[^}]*\\} (\\S+)$").matcher(metrics);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  /**
   * A write to a removed member: CONTRACT's 503 {@code UNAVAILABLE}, marked {@code "removed":
   * true}, naming exactly {@code writable} (the remaining voters), and nothing written.
   */
  static void assertRemovedRefuses(Api api, NodeProcess removed, Set<String> writable) throws IOException {
    Api.Resp r = api.submit(removed.url, "{\"op\":\"put\",\"key\":\"refused-by-removed\",\"value\":1}");
    assertEquals(503, r.status(), r.toString());
    assertEquals("UNAVAILABLE", r.str("code"), r.toString());
    assertEquals(Boolean.TRUE, r.json().path("removed").asBoolean(false), r.toString());
    Set<String> named = new LinkedHashSet<>();
    r.json().get("writable").forEach(u -> named.add(u.asText()));
    assertEquals(writable, named, "the writable URLs " + r);
  }
}
