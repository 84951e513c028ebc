package raftsimple.log;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.util.regex.Pattern;
import raftsimple.bus.BusApi;
import raftsimple.core.msg.Membership;
import raftsimple.core.msg.Membership.Change;
import raftsimple.core.msg.Membership.Role;
import raftsimple.core.msg.ClientEvent;
import raftsimple.statemachine.Json;

/**
 * Turns the membership API's requests (CONTRACT "Membership") into changes against the current
 * configuration (docs/PROTOCOL.md §11):
 *
 * <ul>
 *   <li>add as {@code voter}: a new node joins as a <em>learner</em> and is promoted by the voters
 *       once it has caught up, so a join never stalls the cluster; a read-only member is promoted;
 *   <li>add as {@code read-only}: a new node joins read-only; a voter is demoted;
 *   <li>remove: the member leaves (the last voter cannot).
 * </ul>
 * A request that is already satisfied changes nothing and is answered with the current membership.
 */
final class MembershipRequests {
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

  private MembershipRequests() {}

  /** A request that cannot become a change; {@code code} is the CONTRACT-style error code. */
  static final class Refusal extends RuntimeException {
    final String code;

    Refusal(String code, String message) {
      super(message);
      this.code = code;
    }
  }

  /** The change to make, or null when the membership already is as asked. */
  static Change toChange(BusApi.MembershipChange req, Membership m) {
    if (req.id() == null || !ID.matcher(req.id()).matches()) {
      throw new Refusal("BAD_REQUEST", "member id must match " + ID.pattern());
    }
    Membership.Member cur = m.get(req.id());
    if ("remove".equals(req.op())) {
      if (cur == null) {
        throw new Refusal("NOT_FOUND", "node " + req.id() + " is not a member");
      }
      return new Change(Change.Op.REMOVE, req.id(), null, null, m.version());
    }
    String role = req.role() == null ? "voter" : req.role();
    if (!role.equals("voter") && !role.equals("read-only")) {
      throw new Refusal("BAD_REQUEST", "role must be \"voter\" or \"read-only\", got \"" + role + "\"");
    }
    if (cur == null) {
      return new Change(Change.Op.ADD, req.id(), checkUrl(req.url()),
          role.equals("voter") ? Role.LEARNER : Role.READ_ONLY, m.version());
    }
    if (req.url() != null && !req.url().equals(cur.url())) {
      throw new Refusal("MEMBERSHIP_CONFLICT", "node " + req.id() + " is already a member at "
          + cur.url() + "; remove it first to change its URL");
    }
    if (role.equals("voter")) {
      return cur.role() == Role.READ_ONLY
          ? new Change(Change.Op.PROMOTE, req.id(), null, null, m.version()) : null;
    }
    if (cur.role() == Role.LEARNER) {
      throw new Refusal("MEMBERSHIP_CONFLICT", "node " + req.id() + " is joining as a voter; remove it first");
    }
    return cur.role() == Role.VOTER ? new Change(Change.Op.DEMOTE, req.id(), null, null, m.version()) : null;
  }

  private static String checkUrl(String url) {
    try {
      URI u = URI.create(url == null ? "" : url);
      boolean ok = ("http".equals(u.getScheme()) || "https".equals(u.getScheme()))
          && u.getHost() != null && u.getPort() > 0 && (u.getPath() == null || u.getPath().isEmpty())
          && url.chars().allMatch(c -> c > 0x20 && c < 0x7f && c != '"' && c != '\\');
      if (ok) {
        return url;
      }
    } catch (IllegalArgumentException e) {
      // fall through
    }
    throw new Refusal("BAD_REQUEST", "url must be http(s)://host:port, got " + url);
  }

  /** The committed outcome of a change (or of a request that needed none, {@code s} null). */
  static BusApi.SubmitOutcome committed(ClientEvent.SystemApplied s, Membership m) {
    ObjectNode result = Json.NODES.objectNode();
    result.set("membership", MembershipJson.toJson(m));
    return new BusApi.SubmitOutcome(BusApi.SubmitOutcome.Kind.COMMITTED, s == null ? null : s.txid(),
        s == null ? 0 : s.index(), null, result, null, null);
  }
}
