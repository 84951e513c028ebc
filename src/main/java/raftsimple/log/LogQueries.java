package raftsimple.log;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import raftsimple.chain.Hash;
import raftsimple.chain.LogEntry;
import raftsimple.config.NodeConfig;
import raftsimple.core.EntryStatus;
import raftsimple.core.msg.Membership;
import raftsimple.core.Node;

/**
 * Builds the JSON bodies of the read-only endpoints (CONTRACT "Reads") from the core's state. Only
 * the durable, released prefix of the log ({@code visibleLength}) is ever shown, so nothing a client
 * sees can disappear in a crash.
 */
final class LogQueries {
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private final NodeConfig config;

  LogQueries(NodeConfig config) {
    this.config = config;
  }

  ObjectNode head(Node node, long visibleLength) {
    ObjectNode o = JSON.objectNode();
    o.put("head", hashAt(node, visibleLength).hex());
    o.put("length", visibleLength);
    o.put("nodeId", config.nodeId());
    return o;
  }

  /**
   * The entries {@code from..end} (at most up to {@code visibleLength}), each with its duplicate
   * mark ({@link Duplicates}; the caller makes sure they are applied, so the marks are known).
   */
  ObjectNode log(Node node, long visibleLength, long from, long end, Duplicates duplicates) {
    ObjectNode o = JSON.objectNode();
    ArrayNode entries = o.putArray("entries");
    long last = Math.min(visibleLength, end);
    for (long i = Math.max(from, node.log().firstIndex()); i <= last; i++) {
      ObjectNode e = entry(node.log().get(i));
      Long original = duplicates.originalOf(i);
      if (original != null) {
        e.put("duplicateOf", original);
      }
      entries.add(e);
    }
    o.put("head", hashAt(node, visibleLength).hex());
    o.put("length", visibleLength);
    return o;
  }

  static ObjectNode entry(LogEntry e) {
    return raftsimple.bus.EntryJson.of(e);
  }

  /** The entry's status, or null when this node has never seen it. */
  ObjectNode entryStatus(Node node, long visibleLength, Hash txid, Duplicates duplicates) {
    EntryStatus s = node.status(txid);
    if (s == null) {
      return null;
    }
    ObjectNode o = JSON.objectNode();
    o.put("txid", txid.hex());
    boolean committed = s.state() == EntryStatus.State.COMMITTED && s.index() <= visibleLength;
    EntryStatus.State shown = s.state() == EntryStatus.State.COMMITTED && !committed
        ? EntryStatus.State.ACCEPTED : s.state();
    o.put("status", shown.name().toLowerCase(java.util.Locale.ROOT));
    if (committed) {
      o.put("index", s.index());
      Long original = duplicates.originalOf(s.index());
      if (original != null) {
        o.put("duplicateOf", original);
      }
    }
    o.put("origin", s.origin());
    return o;
  }

  /** Members with their roles from the configuration at the head, plus what we hear of each. */
  ObjectNode cluster(Node node, long visibleLength, long nowMs) {
    ObjectNode o = JSON.objectNode();
    o.put("nodeId", config.nodeId());
    Membership m = node.membership();
    o.put("membershipVersion", m.version());
    ArrayNode members = o.putArray("members");
    Map<String, raftsimple.core.PeerTable.Position> positions = node.peerPositions();
    long window = Math.max(1_000, 3 * config.limits().heartbeatMs());
    for (Membership.Member x : m.members().values()) {
      ObjectNode e = members.addObject();
      e.put("id", x.id());
      e.put("url", x.id().equals(config.nodeId()) ? selfUrl() : x.url());
      e.put("role", MembershipJson.role(x.role()));
      if (x.id().equals(config.nodeId())) {
        e.put("head", hashAt(node, visibleLength).hex());
        e.put("length", visibleLength);
        e.put("reachable", true);
        e.put("self", true);
        continue;
      }
      raftsimple.core.PeerTable.Position pos = positions.get(x.id());
      if (pos != null) {
        e.put("head", pos.head().hex());
        e.put("length", pos.length());
        e.put("lastHeardMsAgo", nowMs - pos.heardAtMs());
      }
      e.put("reachable", pos != null && nowMs - pos.heardAtMs() <= window);
    }
    if (m.get(config.nodeId()) == null) {
      ObjectNode me = members.addObject();
      me.put("id", config.nodeId());
      me.put("url", selfUrl());
      me.put("role", "removed");
      me.put("self", true);
    }
    return o;
  }

  /** The 410 body for a range that a snapshot compacted away. */
  ObjectNode compacted(Node node) {
    ObjectNode o = JSON.objectNode();
    o.put("code", "COMPACTED");
    o.put("error", "entries before index " + node.log().firstIndex()
        + " were compacted into a snapshot");
    o.put("firstIndex", node.log().firstIndex());
    return o;
  }

  ObjectNode ready(Node node, long visibleLength, long appliedIndex) {
    ObjectNode o = JSON.objectNode();
    boolean member = node.membership().get(config.nodeId()) != null;
    boolean caughtUp = node.ready();
    boolean applied = appliedIndex >= visibleLength;
    o.put("ready", member && caughtUp && applied);
    o.put("nodeId", config.nodeId());
    o.put("length", visibleLength);
    o.put("applied", appliedIndex);
    if (member) {
      o.put("role", MembershipJson.role(node.membership().get(config.nodeId()).role()));
    }
    if (!member) {
      o.put("reason", "this node was removed from the cluster");
    } else if (!caughtUp) {
      o.put("reason", "not caught up with a majority of voters");
    } else if (!applied) {
      o.put("reason", "state machine is still applying the log");
    }
    return o;
  }

  private String selfUrl() {
    String scheme = config.tls().enabled() ? "https" : "http";
    return scheme + "://" + config.host() + ":" + config.port();
  }

  private static Hash hashAt(Node node, long length) {
    if (length == 0) {
      return Hash.ZERO;
    }
    LogEntry e = node.log().get(length);
    return e == null ? node.log().baseHash() : e.hash();
  }
}
