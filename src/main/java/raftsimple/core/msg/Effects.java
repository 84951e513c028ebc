package raftsimple.core.msg;

import java.util.ArrayList;
import java.util.List;
import raftsimple.chain.LogEntry;

/**
 * The output of one {@code Node.step} (etcd's {@code Ready}), classified by what each item must wait
 * for (docs/PROTOCOL.md §6):
 *
 * <ul>
 *   <li>{@link #persist}: records to append after every record of earlier steps. The shell numbers
 *       them from 1 per process in this order and reports durability back with
 *       {@link Input.Persisted}.
 *   <li>{@link #sendNow}: messages that may leave at once, before this step's records are durable
 *       (a proposal with its vote still being written, heartbeats, read replies, fetches).
 *   <li>{@link #sendAfterPersist}: messages that leave only once every record issued up to and
 *       including this step is durable (votes, promises, accepts: rule R7).
 *   <li>{@link #committed} and {@link #client}: apply and answer now; the core emits them only once
 *       their decision may be revealed.
 * </ul>
 *
 * Within one list the order is the order the core produced the items in; the shell keeps it per
 * peer. Whatever depends on a decision that may not be revealed yet is held inside the core and
 * appears in a later step's {@link #sendNow} or {@link #committed}.
 */
public final class Effects {
  public final List<DurableRecord> persist = new ArrayList<>();
  public final List<Message> sendNow = new ArrayList<>();
  public final List<Message> sendAfterPersist = new ArrayList<>();
  public final List<LogEntry> committed = new ArrayList<>();
  public final List<ClientEvent> client = new ArrayList<>();
  /**
   * Set when this node is behind a peer's compacted log: fetch and install that peer's snapshot at
   * {@code length} (docs/PROTOCOL.md §12), then report {@code Input.SnapshotInstalled}.
   */
  public SnapshotFetch snapshotFetch;

  public record SnapshotFetch(String peer, long length) {}

  public boolean isEmpty() {
    return persist.isEmpty() && sendNow.isEmpty() && sendAfterPersist.isEmpty()
        && committed.isEmpty() && client.isEmpty() && snapshotFetch == null;
  }

  /** Every message of this step, those to send now first (tests and traces). */
  public List<Message> allSends() {
    List<Message> all = new ArrayList<>(sendNow.size() + sendAfterPersist.size());
    all.addAll(sendNow);
    all.addAll(sendAfterPersist);
    return all;
  }

  @Override
  public String toString() {
    return "Effects[persist=" + persist.size() + " now=" + sendNow.size() + " afterPersist="
        + sendAfterPersist.size() + " committed=" + committed.size() + " client=" + client.size()
        + "]";
  }
}
