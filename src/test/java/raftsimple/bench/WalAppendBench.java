package raftsimple.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import raftsimple.storage.Wal;

/**
 * One group commit: append a batch of {@code batch} records of ~150 bytes, then fsync. The primary
 * score is batches per second (its inverse is the per-batch latency); the {@code records} counter
 * is records per second. Durable throughput is bounded by the fsync latency, so the interesting
 * number is how records/s grows with the batch size.
 *
 * <p>The log lives in a fresh directory under {@code -Draftsimple.bench.dir} (default {@code target},
 * which must be a real disk: on tmpfs fsync is free and the numbers mean nothing). Old segments are
 * deleted after each iteration so the run does not fill the disk.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class WalAppendBench {
  @Param({"1", "16", "128"})
  public int batch;

  private Path dir;
  private Wal wal;
  private List<byte[]> records;

  /** Records written, reported by JMH as a rate next to the primary score. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.OPERATIONS)
  public static class Counters {
    public long records;
  }

  @Setup(Level.Trial)
  public void setup() throws IOException {
    Path base = Path.of(System.getProperty("raftsimple.bench.dir", "target"));
    Files.createDirectories(base);
    dir = Files.createTempDirectory(base, "wal-bench-");
    wal = Wal.open(dir, 64L << 20, r -> { });
    SplittableRandom rnd = new SplittableRandom(1);
    records = new ArrayList<>(batch);
    for (int i = 0; i < batch; i++) {
      byte[] r = new byte[140 + rnd.nextInt(21)];
      rnd.nextBytes(r);
      records.add(r);
    }
  }

  @Benchmark
  public long appendAndSync(Counters c) throws IOException {
    wal.append(records);
    c.records += batch;
    return wal.sync();
  }

  @TearDown(Level.Iteration)
  public void compact() throws IOException {
    wal.deleteSegmentsBefore(wal.currentSegment());
  }

  @TearDown(Level.Trial)
  public void teardown() throws IOException {
    wal.close();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(WalAppendBench::delete);
    }
  }

  private static void delete(Path p) {
    try {
      Files.delete(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
