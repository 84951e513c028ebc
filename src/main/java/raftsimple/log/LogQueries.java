package raftsimple.log;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import raftsimple.chain.Hash;
import raftsimple.chain.LogEntry;
import raftsimple.config.NodeConfig;
import raftsimple.core.EntryStatus;
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

  ObjectNode log(Node node, long visibleLength, long from, int limit) {
    ObjectNode o = JSON.objectNode();
    ArrayNode entries = o.putArray("entries");
    long end = Math.min(visibleLength, from + limit - 1);
    for (long i = Math.max(from, node.log().firstIndex()); i <= end; i++) {
      entries.add(entry(node.log().get(i)));
    }
    o.put("head", hashAt(node, visibleLength).hex());
    o.put("length", visibleLength);
    return o;
  }

  static ObjectNode entry(LogEntry e) {
    ObjectNode o = JSON.objectNode();
    o.put("index", e.index());
    o.put("txid", e.txid().hex());
    o.put("hash", e.hash().hex());
    o.put("prev", e.prev().hex());
    o.put("origin", e.entry().origin());
    o.put("ts", e.entry().ts());
    // The payload is printed byte for byte as it was hashed, so anyone can recompute the txid.
    o.putRawValue("payload", new RawValue(new String(e.entry().payload(), StandardCharsets.UTF_8)));
    if (e.entry().idempotencyKey() != null) {
      o.put("idempotencyKey", e.entry().idempotencyKey());
    }
    return o;
  }

  /** The entry's status, or null when this node has never seen it. */
  ObjectNode entryStatus(Node node, long visibleLength, Hash txid) {
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
    }
    o.put("origin", s.origin());
    return o;
  }

  ObjectNode cluster(Node node, long visibleLength, long nowMs) {
    ObjectNode o = JSON.objectNode();
    o.put("nodeId", config.nodeId());
    ArrayNode members = o.putArray("members");
    ObjectNode me = members.addObject();
    me.put("id", config.nodeId());
    me.put("url", selfUrl());
    me.put("role", config.readOnly() ? "read-only" : "voter");
    me.put("head", hashAt(node, visibleLength).hex());
    me.put("length", visibleLength);
    me.put("reachable", true);
    me.put("self", true);
    Map<String, raftsimple.core.PeerTable.Position> positions = node.peerPositions();
    for (NodeConfig.Peer p : config.peers()) {
      ObjectNode m = members.addObject();
      m.put("id", p.id());
      m.put("url", p.url());
      m.put("role", node.voters().contains(p.id()) ? "voter" : "read-only");
      raftsimple.core.PeerTable.Position pos = positions.get(p.id());
      if (pos != null) {
        m.put("head", pos.head().hex());
        m.put("length", pos.length());
        m.put("lastHeardMsAgo", nowMs - pos.heardAtMs());
      }
      long window = Math.max(1_000, 3 * config.limits().heartbeatMs());
      m.put("reachable", pos != null && nowMs - pos.heardAtMs() <= window);
    }
    return o;
  }

  ObjectNode ready(Node node, long visibleLength, long appliedIndex) {
    ObjectNode o = JSON.objectNode();
    boolean caughtUp = node.ready();
    boolean applied = appliedIndex >= visibleLength;
    o.put("ready", caughtUp && applied);
    o.put("nodeId", config.nodeId());
    o.put("length", visibleLength);
    o.put("applied", appliedIndex);
    if (!caughtUp) {
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
