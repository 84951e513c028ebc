package raftsimple.app;

import java.util.stream.Collectors;
import raftsimple.config.NodeConfig;

/** The one-line effective-config summary logged at start; no secrets (only paths). */
final class Summary {
  private Summary() {}

  static String of(NodeResources r) {
    NodeConfig c = r.config();
    String peers = c.peers().stream()
        .map(p -> p.id() + "=" + p.url())
        .collect(Collectors.joining(", ", "[", "]"));
    return "node " + c.nodeId()
        + " url " + r.tls().scheme() + "://" + c.host() + ":" + c.port()
        + (c.readOnly() ? " read-only" : " voter")
        + " dataDir " + c.dataDir()
        + " peers " + peers
        + (c.join() != null ? " join " + c.join() : "")
        + " transport " + c.transport()
        + " stateMachine " + c.stateMachine()
        + " headTimeoutMs " + c.headTimeoutMs()
        + " tls " + tls(c, r)
        + " limits " + c.limits();
  }

  private static String tls(NodeConfig c, NodeResources r) {
    if (!r.tls().enabled()) {
      return "off";
    }
    return (r.tls().mutual() ? "mutual (CA " + c.tls().caPath() + ")" : "self-signed")
        + " fingerprint " + r.tls().fingerprint();
  }
}
