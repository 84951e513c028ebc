package raftsimple.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/** Validation of node ids, {@code peers} and {@code join}: who this node talks to, and how. */
final class PeerRules {
  static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

  private static final Set<String> PEER_KEYS = new TreeSet<>(List.of("id", "url"));

  private PeerRules() {}

  static String nodeId(Fields fields, String key, String dflt) {
    String id = fields.string(key, dflt);
    if (!NODE_ID.matcher(id).matches()) {
      throw fields.error(
          key, "must match [A-Za-z0-9][A-Za-z0-9_.-]{0,63}, got " + EnvOverrides.quoted(id));
    }
    return id;
  }

  /** {@code peers}: objects {@code {id, url}}, ids unique and not this node's. */
  static List<NodeConfig.Peer> peers(Fields top, String nodeId, boolean tls) {
    JsonArray array = top.array("peers");
    List<NodeConfig.Peer> peers = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < array.size(); i++) {
      String path = "peers[" + i + "]";
      Object element = array.getValue(i);
      if (!(element instanceof JsonObject)) {
        throw ConfigException.atKey(path, "must be an object {\"id\", \"url\"}, got "
            + Fields.describe(element));
      }
      Fields peer = new Fields((JsonObject) element, path, java.util.Map.of());
      peer.allowOnly(PEER_KEYS);
      NodeConfig.Peer parsed = peer(peer, tls);
      if (parsed.id().equals(nodeId)) {
        throw peer.error("id", "is this node's own nodeId " + EnvOverrides.quoted(nodeId)
            + "; peers lists the other members only");
      }
      if (!seen.add(parsed.id())) {
        throw peer.error("id", "duplicate peer id " + EnvOverrides.quoted(parsed.id()));
      }
      peers.add(parsed);
    }
    return peers;
  }

  private static NodeConfig.Peer peer(Fields peer, boolean tls) {
    if (!peer.has("id")) {
      throw peer.error("id", "is required");
    }
    if (!peer.has("url")) {
      throw peer.error("url", "is required");
    }
    String id = nodeId(peer, "id", null);
    return new NodeConfig.Peer(id, url(peer, "url", tls));
  }

  /** {@code join}: null, or the URL of an existing member. */
  static String join(Fields top, boolean tls) {
    return top.has("join") ? url(top, "join", tls) : null;
  }

  /** An {@code http(s)://host:port} URL whose scheme matches {@code tls.enabled}. */
  static String url(Fields fields, String key, boolean tls) {
    String text = fields.string(key, null);
    String problem = urlProblem(text);
    if (problem != null) {
      throw fields.error(key, "not a valid http(s) URL: " + EnvOverrides.quoted(text) + problem);
    }
    String scheme = tls ? "https" : "http";
    if (!text.startsWith(scheme + "://")) {
      throw fields.error(key, "must use " + scheme + " because tls.enabled is " + tls + ", got "
          + EnvOverrides.quoted(text));
    }
    return text;
  }

  /** Null when {@code text} is {@code http(s)://host:port[/]}, else a short reason. */
  private static String urlProblem(String text) {
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      return "";
    }
    if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
      return "";
    }
    if (uri.getHost() == null || uri.getRawUserInfo() != null) {
      return " (expected http(s)://host:port)";
    }
    if (uri.getPort() < 1) {
      return " (needs an explicit port)";
    }
    String path = uri.getRawPath();
    boolean bare = path == null || path.isEmpty() || path.equals("/");
    if (!bare || uri.getRawQuery() != null || uri.getRawFragment() != null) {
      return " (expected http(s)://host:port, without a path or query)";
    }
    return null;
  }
}
