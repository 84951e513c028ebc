package raftsimple.metrics;

import java.time.Duration;

/**
 * The bucket boundaries of the node's histograms (docs/METRICS.md). Explicit, few and the same on
 * every node, so that {@code histogram_quantile} and {@code sum by (le)} aggregate across nodes and
 * restarts; Micrometer's generated percentile buckets would give ~70 series per histogram and
 * client-side percentiles would not aggregate at all. Values are exposed in base units (seconds),
 * whatever unit they are written in here.
 */
public final class Buckets {
  private Buckets() {}

  /** Request latency, commit-to-apply lag: 0.5 ms .. 60 s. */
  public static final Duration[] LATENCY = {
      Duration.ofNanos(500_000), Duration.ofMillis(1), Duration.ofNanos(2_500_000),
      Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
      Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
      Duration.ofMillis(2_500), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30),
      Duration.ofSeconds(60)};

  /** One fsync of the write-ahead log: 50 µs .. 10 s (a healthy SSD sits well under 10 ms). */
  public static final Duration[] FSYNC = {
      Duration.ofNanos(50_000), Duration.ofNanos(100_000), Duration.ofNanos(250_000),
      Duration.ofNanos(500_000), Duration.ofMillis(1), Duration.ofNanos(2_500_000),
      Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
      Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
      Duration.ofMillis(2_500), Duration.ofSeconds(10)};

  /** Long operations such as taking a snapshot: 10 ms .. 5 min. */
  public static final Duration[] LONG = {
      Duration.ofMillis(10), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
      Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2_500), Duration.ofSeconds(5),
      Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(120),
      Duration.ofSeconds(300)};

  /** Sizes counted in items (records per write, entries per batch): powers of two, 1 .. 16384. */
  public static final double[] COUNT = {
      1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384};
}
