package raftsimple.app;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.backends.BackendRegistries;
import raftsimple.build.BuildInfo;

/**
 * Vert.x metrics on a Prometheus registry: Vert.x reports its own meters (HTTP server and client,
 * event bus, pools, JVM) to the registry, which components add to and the ingress renders for
 * {@code GET /metrics} with {@code registry.scrape()}.
 */
public final class Metrics {
  private Metrics() {}

  /** A registry holding {@code raftsimple_build_info{version,commit}} = 1 from the start. */
  public static PrometheusMeterRegistry newRegistry() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    BuildInfo build = BuildInfo.current();
    Gauge.builder("raftsimple_build_info", () -> 1)
        .description("The version and git commit this node runs (always 1)")
        .tags("version", build.version(), "commit", build.commit())
        .register(registry);
    return registry;
  }

  /** A builder for a Vert.x that reports to {@code registry}; {@code options} gain metrics. */
  public static VertxBuilder builder(VertxOptions options, PrometheusMeterRegistry registry) {
    options.setMetricsOptions(new MicrometerMetricsOptions()
        .setEnabled(true)
        .setJvmMetricsEnabled(true));
    return Vertx.builder().with(options).withMetrics(new MicrometerMetricsFactory(registry));
  }

  /**
   * The registry Vert.x reports to when it was built by {@link #builder} (the default backend of
   * vertx-micrometer-metrics); otherwise, e.g. a NodeVerticle deployed by name in a test, a fresh
   * registry that only components report to.
   */
  static PrometheusMeterRegistry currentRegistry() {
    MeterRegistry current = BackendRegistries.getDefaultNow();
    return current instanceof PrometheusMeterRegistry
        ? (PrometheusMeterRegistry) current
        : newRegistry();
  }
}
