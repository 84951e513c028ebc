package raftsimple.log;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;
import raftsimple.chain.LogEntry;
import raftsimple.chain.Hash;
import raftsimple.config.NodeConfig;
import raftsimple.core.DurableState;
import raftsimple.core.msg.Membership;
import raftsimple.storage.SnapshotFile;

/**
 * Opening a node's durable state (blocking, on the WAL worker): every WAL record after the newest
 * snapshot (read before, by the caller), folded into a {@link DurableState}, which verifies the
 * chain. A corrupt snapshot or WAL stops the start with the file and offset
 * ({@code WalCorruptException}, exit 2); records that do not rebuild a consistent chain stop it too
 * ({@link ReplayFailedException}, exit 2).
 */
final class Bootstrap {
  private Bootstrap() {}

  /**
   * {@code created}: this process wrote the data dir's first record (its configuration), so the
   * node never ran before and has no restart window (docs/PROTOCOL.md §5.5, rule R5).
   * {@code summary}: what the replay read and how long it took, for the start-up log.
   */
  record Opened(RecordStore store, DurableState state, SnapshotFile snapshot,
      boolean created, String summary) {
    Opened asCreated() {
      return new Opened(store, state, snapshot, true, summary);
    }
  }

  /**
   * Replays the WAL on top of {@code snap} (null: none). {@code onCommitted} receives, on this
   * thread and in log order, the entries of each commit record once the fold has verified and
   * appended them, so the state machine can re-apply them while the rest is still being read.
   */
  static Opened open(NodeConfig config, Supplier<RecordStore> factory, SnapshotFile snap,
      Consumer<List<LogEntry>> onCommitted) {
    DurableState state = snap == null ? new DurableState()
        : new DurableState(snap.length(), Hash.of(snap.head()), MembershipJson.decode(snap.meta()));
    long t0 = System.nanoTime();
    RecordStore store = factory.get();
    long t1 = System.nanoTime();
    long from = state.length();
    try {
      store.replay(r -> {
        long before = state.length();
        state.apply(r);
        if (state.length() > before) {
          onCommitted.accept(state.log().range(before + 1, (int) (state.length() - before)));
        }
      });
    } catch (IllegalStateException e) {
      store.close();
      throw new ReplayFailedException("node " + config.nodeId() + ": the write-ahead log in "
          + config.dataDir() + " does not replay to a consistent state: " + e.getMessage(), e);
    }
    long t2 = System.nanoTime();
    String summary = String.format("replayed %d entries after %s (WAL read and decoded in %d ms, "
        + "chain verified and folded in %d ms)", state.length() - from,
        snap == null ? "no snapshot" : "the snapshot at " + snap.length(),
        (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000);
    return new Opened(store, state, snap, false, summary);
  }

  /** A founding member's configuration: itself and its {@code peers}, all voters, version 0. */
  static Membership founding(NodeConfig config) {
    List<Membership.Member> ms = new ArrayList<>();
    for (NodeConfig.Peer p : config.peers()) {
      ms.add(new Membership.Member(p.id(), p.url(), Membership.Role.VOTER));
    }
    ms.add(new Membership.Member(config.nodeId(), Joiner.selfUrl(config),
        config.readOnly() ? Membership.Role.READ_ONLY : Membership.Role.VOTER));
    return new Membership(0, ms);
  }
}
