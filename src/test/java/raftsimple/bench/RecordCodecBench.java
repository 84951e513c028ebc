package raftsimple.bench;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import raftsimple.chain.Entry;
import raftsimple.chain.Hash;
import raftsimple.chain.LogEntry;
import raftsimple.core.msg.DurableRecord;
import raftsimple.core.msg.DurableRecord.CommitRecord;
import raftsimple.storage.RecordCodec;

/**
 * Encoding and decoding a commit record of {@code entries} entries with ~100-byte payloads: the cost
 * per record of writing the WAL and of replaying it (replay decodes every record ever written).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class RecordCodecBench {
  @Param({"1", "64"})
  public int entries;

  private CommitRecord record;
  private byte[] bytes;

  @Setup
  public void setup() {
    List<LogEntry> les = new ArrayList<>(entries);
    Hash prev = Hash.ZERO;
    for (int i = 1; i <= entries; i++) {
      String json = "{\"op\":\"put\",\"key\":\"user:" + i + ":profile\",\"value\":{\"name\":\"Ada\",\"visits\":1234567}}";
      Entry e = Entry.create(1_700_000_000_000L + i, "n1", json.getBytes(StandardCharsets.UTF_8),
          i % 2 == 0 ? "idem-" + i : null);
      LogEntry le = LogEntry.chain(i, prev, e);
      les.add(le);
      prev = le.hash();
    }
    record = new CommitRecord(les);
    bytes = RecordCodec.encode(record);
  }

  @Benchmark
  public byte[] encode() {
    return RecordCodec.encode(record);
  }

  @Benchmark
  public DurableRecord decode() {
    return RecordCodec.decode(bytes);
  }
}
