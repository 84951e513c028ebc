package raftsimple.app;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.backends.BackendRegistries;
import java.lang.management.ManagementFactory;
import java.util.Set;
import raftsimple.build.BuildInfo;

/**
 * Vert.x metrics on a Prometheus registry: Vert.x reports its own meters (HTTP server and client,
 * event bus, pools, JVM) to the registry, which components add to and the ingress renders for
 * {@code GET /metrics} with {@code registry.scrape()}. docs/METRICS.md lists what is exposed.
 *
 * <p>A few meters are turned off before anything registers ({@link #DENIED}):
 *
 * <ul>
 *   <li>Vert.x's per-request HTTP server meters: {@code raftsimple_client_requests_total} and
 *       {@code raftsimple_client_request_latency_seconds} count and time the same requests, labelled
 *       by route template (which says what was asked) where Vert.x labels by method and status, and
 *       as a histogram where Vert.x has a summary. Two counters for one thing invite dashboards that
 *       disagree. Vert.x's connection meters and byte counters stay: nothing else counts those.
 *   <li>Micrometer's JVM meters in non-base units ({@code jvm_compilation_time_ms_total},
 *       {@code process_cpu_time_ns_total}); {@code process_cpu_seconds_total} (the name Prometheus
 *       clients use) replaces the second.
 * </ul>
 */
public final class Metrics {
  private Metrics() {}

  /** Meter names (Micrometer's dotted form) that are never registered; see the class comment. */
  static final Set<String> DENIED = Set.of(
      "vertx.http.server.requests",
      "vertx.http.server.response.time",
      "vertx.http.server.request.bytes",
      "vertx.http.server.response.bytes",
      "jvm.compilation.time",
      "process.cpu.time");

  public static PrometheusMeterRegistry newRegistry() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().meterFilter(MeterFilter.deny(id -> DENIED.contains(id.getName())));
    registerProcessCpu(registry);
    // An info metric on the Prometheus registry itself: Micrometer has no info type, and the
    // Prometheus client drops a gauge's "_info" suffix (it would be exposed as raftsimple_build).
    BuildInfo build = BuildInfo.current();
    io.prometheus.metrics.core.metrics.Info.builder().name("raftsimple_build_info")
        .help("The version and git commit this node runs (always 1)")
        .labelNames("version", "commit")
        .register(registry.getPrometheusRegistry())
        .setLabelValues(build.version(), build.commit());
    return registry;
  }

  /** {@code process_cpu_seconds_total}: CPU time of this process, in seconds, when the JVM tells. */
  private static void registerProcessCpu(MeterRegistry registry) {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os && os.getProcessCpuTime() >= 0) {
      FunctionCounter.builder("process.cpu", os, o -> o.getProcessCpuTime() / 1e9)
          .baseUnit("seconds")
          .description("CPU time used by this process")
          .register(registry);
    }
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
