package raftsimple.bench;

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
import raftsimple.core.msg.Message;
import raftsimple.transport.WireCodec;

/**
 * The CPU cost of the peer wire codec per message, the part of a peer link's cost that does not
 * depend on how bytes travel (compare with {@link PeerLinkBench}'s CPU per message): encoding and
 * decoding (with validation: txids and value ids are re-hashed) of an envelope of {@code batch}
 * messages, {@code propose} (one ~100-byte entry) or {@code vote}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class WireCodecBench {
  @Param({"propose", "vote"})
  public String workload;

  @Param({"1", "32"})
  public int batch;

  private List<Message> messages;
  private byte[] encoded;

  @Setup
  public void setup() {
    messages = new java.util.ArrayList<>();
    for (int i = 0; i < batch; i++) {
      messages.add(PeerLinkBench.message(workload, "n1", "n2", i));
    }
    encoded = WireCodec.encode("n1", messages);
  }

  @Benchmark
  public byte[] encode() {
    return WireCodec.encode("n1", messages);
  }

  @Benchmark
  public WireCodec.Envelope decode() {
    return WireCodec.decode(encoded);
  }
}
