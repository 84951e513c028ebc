package raftsimple.app;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Objects;
import raftsimple.config.NodeConfig;
import raftsimple.config.TlsMaterial;

/**
 * What the node's component verticles share, built once at start: the validated config, the TLS
 * material (server and peer-client options) and the meter registry that Vert.x's own metrics
 * report to and {@code GET /metrics} scrapes.
 */
public record NodeResources(NodeConfig config, TlsMaterial tls, PrometheusMeterRegistry registry) {
  public NodeResources {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(tls, "tls");
    Objects.requireNonNull(registry, "registry");
  }
}
