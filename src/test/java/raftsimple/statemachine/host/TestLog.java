package raftsimple.statemachine.host;

import java.nio.charset.StandardCharsets;
import raftsimple.chain.Entry;
import raftsimple.chain.Hash;
import raftsimple.chain.LogEntry;

/** Builds a valid hash-chained log for tests: each {@link #next} continues the chain. */
final class TestLog {
  private long index;
  private Hash prev = Hash.ZERO;
  private long ts = 1_700_000_000_000L;

  LogEntry next(String payload) {
    return next(payload, null);
  }

  LogEntry next(String payload, String idempotencyKey) {
    return nextBytes(payload.getBytes(StandardCharsets.UTF_8), idempotencyKey);
  }

  LogEntry nextBytes(byte[] payload, String idempotencyKey) {
    LogEntry e = LogEntry.chain(++index, prev, Entry.create(ts++, "n1", payload, idempotencyKey));
    prev = e.hash();
    return e;
  }
}
