package raftsimple.log;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import raftsimple.core.msg.DurableRecord;

/** Keeps records in memory: for tests of the verticles, never for a real node. */
public final class MemoryRecordStore implements RecordStore {
  private final List<DurableRecord> records = new ArrayList<>();

  @Override
  public synchronized void replay(Consumer<DurableRecord> visitor) {
    records.forEach(visitor);
  }

  @Override
  public synchronized long appendAndSync(List<DurableRecord> batch) {
    records.addAll(batch);
    return 0;
  }

  public synchronized int size() {
    return records.size();
  }

  @Override
  public void close() {}
}
