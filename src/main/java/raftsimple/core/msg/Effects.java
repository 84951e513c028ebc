package raftsimple.core.msg;

import java.util.ArrayList;
import java.util.List;
import raftsimple.chain.LogEntry;

/**
 * The output of one {@code Node.step}: records to make durable, then messages, newly committed
 * entries and client events. The shell MUST write {@link #persist} after every earlier step's
 * records and release everything else only once all of them are durable (docs/PROTOCOL.md §6
 * "Durability order"; H2). Within one step the lists keep the order the core produced them in.
 */
public final class Effects {
  public final List<DurableRecord> persist = new ArrayList<>();
  public final List<Message> send = new ArrayList<>();
  public final List<LogEntry> committed = new ArrayList<>();
  public final List<ClientEvent> client = new ArrayList<>();
  /**
   * Set when this node is behind a peer's compacted log: fetch and install that peer's snapshot at
   * {@code length} (docs/PROTOCOL.md §12), then report {@code Input.SnapshotInstalled}.
   */
  public SnapshotFetch snapshotFetch;

  public record SnapshotFetch(String peer, long length) {}

  public boolean isEmpty() {
    return persist.isEmpty() && send.isEmpty() && committed.isEmpty() && client.isEmpty()
        && snapshotFetch == null;
  }

  @Override
  public String toString() {
    return "Effects[persist=" + persist.size() + " send=" + send.size() + " committed="
        + committed.size() + " client=" + client.size() + "]";
  }
}
