package raftsimple.config;

import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Validation of {@code tls}. The three paths come together or not at all; given, they must be
 * readable files. Without them a node uses a self-signed certificate (see {@link TlsMaterial}),
 * which nobody else trusts, so that is only allowed for a node with no peers and no join.
 */
final class TlsRules {
  private static final Set<String> KEYS =
      new TreeSet<>(List.of("enabled", "certPath", "keyPath", "caPath"));
  private static final List<String> PATHS = List.of("certPath", "keyPath", "caPath");

  private TlsRules() {}

  static NodeConfig.Tls parse(Fields top, Map<String, String> origins, Path baseDir) {
    JsonObject json = top.object("tls");
    if (json == null) {
      json = new JsonObject();
    }
    Fields tls = new Fields(json, "tls", origins);
    tls.allowOnly(KEYS);
    boolean enabled = tls.bool("enabled", true);
    boolean anyPath = PATHS.stream().anyMatch(tls::has);
    if (!anyPath) {
      return new NodeConfig.Tls(enabled, null, null, null);
    }
    return new NodeConfig.Tls(
        enabled,
        readableFile(tls, "certPath", baseDir),
        readableFile(tls, "keyPath", baseDir),
        readableFile(tls, "caPath", baseDir));
  }

  private static String readableFile(Fields tls, String key, Path baseDir) {
    if (!tls.has(key)) {
      throw tls.error(key, "is required when any of tls.certPath, tls.keyPath, tls.caPath is set");
    }
    Path file = baseDir.resolve(tls.string(key, null)).normalize();
    if (!Files.isRegularFile(file)) {
      throw tls.error(key, "not a file: " + file);
    }
    if (!Files.isReadable(file)) {
      throw tls.error(key, "file not readable: " + file);
    }
    return file.toString();
  }

  /** Peers must authenticate each other, which needs a CA; a self-signed node stands alone. */
  static void checkTrust(NodeConfig.Tls tls, boolean hasPeers, boolean joins) {
    if (tls.enabled() && tls.caPath() == null && (hasPeers || joins)) {
      throw ConfigException.atKey(
          "tls",
          "a node with " + (hasPeers ? "peers" : "join") + " and TLS enabled needs certPath, "
              + "keyPath and caPath: peers authenticate each other with certificates signed by "
              + "one CA (mutual TLS). Create them with deploy/gen-certs.sh, or set "
              + "tls.enabled to false for plain HTTP");
    }
  }
}
