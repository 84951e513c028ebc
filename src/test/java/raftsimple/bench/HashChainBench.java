package raftsimple.bench;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import raftsimple.chain.Hash;
import raftsimple.chain.Hashing;

/**
 * The CPU cost of placing one entry in the chain: its txid (SHA-256 over ~100 bytes of ts, origin and
 * payload) plus its chained hash (SHA-256 over 64 bytes). Bounds the commit rate one core can hash.
 * The state carries the previous hash and a moving timestamp so JIT cannot fold iterations together.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class HashChainBench {
  private byte[] payload;
  private Hash prev;
  private long ts;

  @Setup
  public void setup() {
    // ~100 bytes of compact JSON, the shape of a typical kv put.
    String json = "{\"op\":\"put\",\"key\":\"user:000042:profile\",\"value\":{\"name\":\"Ada\",\"visits\":1234567}}";
    payload = json.getBytes(StandardCharsets.UTF_8);
    prev = Hash.ZERO;
    ts = 1_700_000_000_000L;
  }

  @Benchmark
  public Hash txidAndChain() {
    Hash txid = Hashing.txid(ts++, "n1", payload);
    prev = Hashing.chain(prev, txid);
    return prev;
  }
}
