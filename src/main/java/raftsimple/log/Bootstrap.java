package raftsimple.log;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import raftsimple.chain.Hash;
import raftsimple.config.NodeConfig;
import raftsimple.core.DurableState;
import raftsimple.core.Membership;
import raftsimple.storage.SnapshotFile;
import raftsimple.storage.SnapshotStore;

/**
 * Opening a node's durable state (blocking, on the WAL worker): the newest snapshot, if any, then
 * every WAL record after it, folded into a {@link DurableState}. A corrupt snapshot or WAL stops
 * the start with the file and offset ({@code WalCorruptException}, exit 2); records that do not
 * rebuild a consistent chain stop it too ({@link ReplayFailedException}, exit 2).
 */
final class Bootstrap {
  private Bootstrap() {}

  /**
   * {@code created}: this process wrote the data dir's first record (its configuration), so the
   * node never ran before and has no restart window (docs/PROTOCOL.md §5.5, rule R5).
   */
  record Opened(RecordStore store, DurableState state, SnapshotFile snapshot,
      boolean created) {
    Opened asCreated() {
      return new Opened(store, state, snapshot, true);
    }
  }

  static Opened open(NodeConfig config, Supplier<RecordStore> factory, SnapshotStore snapshots) {
    SnapshotFile snap = snapshots.latest().orElse(null); // verified; its state stays on disk
    DurableState state = snap == null ? new DurableState()
        : new DurableState(snap.length(), Hash.of(snap.head()), MembershipJson.decode(snap.meta()));
    RecordStore store = factory.get();
    try {
      store.replay(state::apply);
    } catch (IllegalStateException e) {
      store.close();
      throw new ReplayFailedException("node " + config.nodeId() + ": the write-ahead log in "
          + config.dataDir() + " does not replay to a consistent state: " + e.getMessage(), e);
    }
    return new Opened(store, state, snap, false);
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
