package raftsimple.log;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import raftsimple.core.msg.Membership;
import raftsimple.statemachine.Json;

/**
 * A configuration as JSON: {@code {"version":v,"members":[{"id","url","role"}]}} with roles
 * {@code voter}, {@code learner}, {@code read-only} — the form of snapshot metadata, of the
 * membership API's replies and of {@code GET /cluster}'s roles.
 */
final class MembershipJson {
  private MembershipJson() {}

  static String role(Membership.Role r) {
    return r == Membership.Role.READ_ONLY ? "read-only" : r.name().toLowerCase(Locale.ROOT);
  }

  static Membership.Role role(String s) {
    switch (s) {
      case "voter":
        return Membership.Role.VOTER;
      case "learner":
        return Membership.Role.LEARNER;
      case "read-only":
        return Membership.Role.READ_ONLY;
      default:
        throw new IllegalArgumentException("unknown role '" + s + "' (voter, learner or read-only)");
    }
  }

  static ObjectNode toJson(Membership m) {
    ObjectNode o = Json.NODES.objectNode();
    o.put("version", m.version());
    ArrayNode arr = o.putArray("members");
    for (Membership.Member x : m.members().values()) {
      ObjectNode e = arr.addObject();
      e.put("id", x.id());
      e.put("url", x.url());
      e.put("role", role(x.role()));
    }
    return o;
  }

  static byte[] encode(Membership m) {
    return Json.compact(toJson(m));
  }

  /** Parses {@link #toJson}'s form; IllegalArgumentException names what is wrong. */
  static Membership fromJson(JsonNode o) {
    if (o == null || !o.isObject() || !o.path("version").canConvertToLong()
        || !o.path("members").isArray()) {
      throw new IllegalArgumentException("not a membership: expected {\"version\", \"members\": [...]}");
    }
    List<Membership.Member> ms = new ArrayList<>();
    for (JsonNode e : o.get("members")) {
      if (!e.path("id").isTextual() || !e.path("url").isTextual() || !e.path("role").isTextual()) {
        throw new IllegalArgumentException("a member needs string id, url and role: " + e);
      }
      ms.add(new Membership.Member(e.get("id").asText(), e.get("url").asText(), role(e.get("role").asText())));
    }
    return new Membership(o.get("version").asLong(), ms);
  }

  static Membership decode(byte[] bytes) {
    return fromJson(Json.parse(bytes));
  }
}
