package raftsimple.config;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Turns the node's JSON config plus {@code RAFTSIMPLE_*} environment overrides into a validated
 * {@link NodeConfig}, or throws a {@link ConfigException} naming the key, variable or file at
 * fault. Every key is documented in {@code docs/CONFIG.md}. Pure apart from two checks against
 * the environment: TLS files must be readable, plug-in classes must be loadable.
 *
 * <p>Missing keys take {@link NodeConfig#defaults()}; unknown keys, wrong JSON types and values
 * out of range are errors. Relative paths ({@code dataDir}, {@code tls.*Path}) are resolved against
 * the working directory, so the record only holds absolute paths.
 */
public final class ConfigParser {

  /**
   * Flat top-level keys that fill {@link NodeConfig.Limits}: its record components, by name, so the
   * keys cannot drift from the record.
   */
  static final List<String> LIMIT_KEYS = Limits.keys();

  private static final Set<String> TOP_KEYS = topKeys();

  static final long HEAD_TIMEOUT_MS_MIN = 50;
  static final long HEAD_TIMEOUT_MS_MAX = 600_000;

  private ConfigParser() {}

  private static Set<String> topKeys() {
    Set<String> keys = new TreeSet<>(List.of(
        "nodeId", "host", "port", "dataDir", "readOnly", "peers", "join", "transport",
        "stateMachine", "headTimeoutMs", "tls", "eventbus"));
    keys.addAll(LIMIT_KEYS);
    return keys;
  }

  /** The environment variables {@link #parse} reads (and no others). */
  public static List<String> environmentVariables() {
    return EnvOverrides.variableNames();
  }

  /** Parses with relative paths resolved against the process's working directory. */
  public static NodeConfig parse(JsonObject json, Map<String, String> env) {
    return parse(json, env, Path.of("").toAbsolutePath());
  }

  /** Parses with relative paths resolved against {@code baseDir}. */
  public static NodeConfig parse(JsonObject json, Map<String, String> env, Path baseDir) {
    EnvOverrides.Applied applied = EnvOverrides.apply(json, env);
    Fields top = new Fields(applied.json(), "", applied.origins());
    top.allowOnly(TOP_KEYS);
    NodeConfig d = NodeConfig.defaults();
    String nodeId = PeerRules.nodeId(top, "nodeId", d.nodeId());
    String host = host(top, d.host());
    int port = (int) top.integer("port", d.port(), 0, 65_535);
    Path dataDir = baseDir.resolve(top.string("dataDir", d.dataDir().toString())).normalize();
    boolean readOnly = top.bool("readOnly", d.readOnly());
    NodeConfig.Tls tls = TlsRules.parse(top, applied.origins(), baseDir);
    List<NodeConfig.Peer> peers = PeerRules.peers(top, nodeId, tls.enabled());
    String join = PeerRules.join(top, tls.enabled());
    TlsRules.checkTrust(tls, !peers.isEmpty(), join != null);
    if (readOnly && peers.isEmpty() && join == null) {
      throw top.error("readOnly", "a read-only node does not vote, so it needs peers or join");
    }
    String transport = PluginRules.transport(top, d.transport());
    String stateMachine = PluginRules.stateMachine(top, d.stateMachine());
    long headTimeoutMs = top.integer(
        "headTimeoutMs", d.headTimeoutMs(), HEAD_TIMEOUT_MS_MIN, HEAD_TIMEOUT_MS_MAX);
    NodeConfig.EventBus eventbus = EventBusRules.parse(top, transport);
    if (PluginRules.EVENTBUS.equals(transport) && (join != null || readOnly)
        && eventbus.members().isEmpty()) {
      // A joining node finds the event-bus cluster only through the members it lists
      // (docs/TRANSPORTS.md §3.8).
      throw ConfigException.atKey("eventbus.members", "must list the cluster address (host:port) of "
          + "at least one member when the node joins a cluster (" + (join != null ? "join" : "readOnly")
          + " is set)");
    }
    return new NodeConfig(nodeId, host, port, dataDir, readOnly, peers, join, transport,
        stateMachine, headTimeoutMs, tls, eventbus, limits(top));
  }

  private static String host(Fields top, String dflt) {
    String host = top.string("host", dflt);
    if (host.chars().anyMatch(Character::isWhitespace)) {
      throw top.error("host", "must be a host name or IP address, got " + EnvOverrides.quoted(host));
    }
    return host;
  }

  private static NodeConfig.Limits limits(Fields top) {
    List<Long> values = new ArrayList<>();
    for (Limits.Key key : Limits.KEYS) {
      values.add(top.integer(key.name(), key.dflt(), 1, key.max()));
    }
    return Limits.build(values);
  }
}
