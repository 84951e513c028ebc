package raftsimple.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import raftsimple.chain.Entry;
import raftsimple.chain.Hash;
import raftsimple.chain.LogEntry;
import raftsimple.core.DurableState;
import raftsimple.core.msg.Membership;
import raftsimple.core.Node;
import raftsimple.core.NodeSettings;
import raftsimple.core.msg.DurableRecord;
import raftsimple.core.msg.Proposal;
import raftsimple.log.WalRecordStore;
import raftsimple.statemachine.host.AppliedState;
import raftsimple.statemachine.KvStateMachine;

/**
 * How long a restarted node takes to rebuild itself from its write-ahead log, phase by phase (issue
 * 10, "a restarted node is ready fast"): read and decode the segments, fold the records into a
 * {@link DurableState} (which verifies the hash chain), build the protocol core, and re-apply the
 * log to the key-value state machine. Run by {@code bench/replay.sh}.
 *
 * <pre>
 *   ReplayBench --entries 100000 [--batch 16] [--runs 3]       generate a WAL in a temp dir, time it
 *   ReplayBench --wal &lt;dir&gt; [--runs 3]                           time an existing WAL (e.g. a node's)
 *   ReplayBench --make-node-dir &lt;dataDir&gt; --entries N --node n1 --url http://127.0.0.1:P
 *                                                              write a single-node data dir to start
 * </pre>
 *
 * <p>The generated WAL looks like a voter's under load: per instance, a vote record carrying the
 * proposal and then the commit record of the same {@code batch} entries (so every entry is stored
 * twice, as on a real node), payloads like {@code bench/put.lua}'s (~100-byte values over 10k
 * keys), origins rotating over three nodes. The first run is the cold one a real restart sees (no
 * JIT yet); later runs show the warm cost.
 */
public final class ReplayBench {
  private static final long SEGMENT_BYTES = 64L << 20;
  private static final int APPLY_BATCH = 4_096;
  private static final List<String> NODES = List.of("n1", "n2", "n3");

  private ReplayBench() {}

  public static void main(String[] args) throws IOException {
    long entries = 100_000;
    int batch = 16;
    int runs = 3;
    Path wal = null;
    Path nodeDir = null;
    String node = "n1";
    String url = "http://127.0.0.1:6969";
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      String v = i + 1 < args.length ? args[i + 1] : null;
      switch (a) {
        case "--entries" -> entries = Long.parseLong(required(a, v));
        case "--batch" -> batch = Integer.parseInt(required(a, v));
        case "--runs" -> runs = Integer.parseInt(required(a, v));
        case "--wal" -> wal = Path.of(required(a, v));
        case "--make-node-dir" -> nodeDir = Path.of(required(a, v));
        case "--node" -> node = required(a, v);
        case "--url" -> url = required(a, v);
        default -> throw new IllegalArgumentException("unknown argument " + a
            + " (see the class comment for usage)");
      }
      i++;
    }
    if (entries < 1 || batch < 1 || runs < 1) {
      throw new IllegalArgumentException("--entries, --batch and --runs must be at least 1");
    }
    if (nodeDir != null) {
      Membership m = new Membership(0, List.of(new Membership.Member(node, url, Membership.Role.VOTER)));
      long t0 = System.nanoTime();
      write(nodeDir.resolve("wal"), m, List.of(node), entries, batch);
      System.out.printf("wrote %d entries for node %s into %s in %d ms%n", entries, node, nodeDir,
          (System.nanoTime() - t0) / 1_000_000);
      return;
    }
    Path tmp = null;
    if (wal == null) {
      tmp = Files.createTempDirectory(Path.of("target"), "replay-bench");
      wal = tmp.resolve("wal");
      long t0 = System.nanoTime();
      write(wal, new Membership(0, NODES.stream()
          .map(n -> new Membership.Member(n, "http://" + n, Membership.Role.VOTER)).toList()),
          NODES, entries, batch);
      System.out.printf("generated %d entries (%d per instance, vote + commit records) in %d ms%n",
          entries, batch, (System.nanoTime() - t0) / 1_000_000);
    }
    try {
      System.out.println("wall ms per phase (cpu ms of this thread in brackets; on a shared machine"
          + " cpu is the steadier number)");
      System.out.printf("%-4s %9s %15s %15s %11s %15s %15s %7s%n", "run", "entries",
          "read+decode", "fold+verify", "node", "sm apply", "total", "MB");
      for (int r = 1; r <= runs; r++) {
        run(r, wal);
      }
    } finally {
      if (tmp != null) {
        delete(tmp);
      }
    }
  }

  private static String required(String flag, String value) {
    if (value == null) {
      throw new IllegalArgumentException(flag + " needs a value");
    }
    return value;
  }

  private static void run(int r, Path wal) {
    long[] wall = new long[5];
    long[] cpu = new long[5];
    mark(wall, cpu, 0);
    WalRecordStore store = new WalRecordStore(wal, SEGMENT_BYTES);
    mark(wall, cpu, 1);
    DurableState state = new DurableState();
    store.replay(state::apply);
    mark(wall, cpu, 2);
    List<String> voters = state.membership().voters();
    Node n = new Node(NodeSettings.of(voters.get(0), voters, 1500), state, 1, false);
    mark(wall, cpu, 3);
    AppliedState sm = new AppliedState(new KvStateMachine(), 100_000);
    List<LogEntry> all = n.log().range(n.log().firstIndex(), Integer.MAX_VALUE);
    for (int i = 0; i < all.size(); i += APPLY_BATCH) {
      sm.applyReplayed(all.subList(i, Math.min(all.size(), i + APPLY_BATCH)));
    }
    mark(wall, cpu, 4);
    store.close();
    double mb = store.stats().recordBytes() / 1e6;
    System.out.printf("%-4d %9d %15s %15s %11s %15s %15s %7.1f%n", r, n.length(),
        phase(wall, cpu, 0, 1), phase(wall, cpu, 1, 2), phase(wall, cpu, 2, 3),
        phase(wall, cpu, 3, 4), phase(wall, cpu, 0, 4), mb);
  }

  private static final java.lang.management.ThreadMXBean THREADS =
      java.lang.management.ManagementFactory.getThreadMXBean();

  private static void mark(long[] wall, long[] cpu, int i) {
    wall[i] = System.nanoTime();
    cpu[i] = THREADS.getCurrentThreadCpuTime();
  }

  private static String phase(long[] wall, long[] cpu, int from, int to) {
    return (wall[to] - wall[from]) / 1_000_000 + " (" + (cpu[to] - cpu[from]) / 1_000_000 + ")";
  }

  /** Writes the configuration, then {@code entries} entries as vote + commit records. */
  private static void write(Path dir, Membership m, List<String> origins, long entries, int batch) {
    WalRecordStore store = new WalRecordStore(dir, SEGMENT_BYTES);
    try {
      store.appendAndSync(List.of(new DurableRecord.ConfigRecord(m)));
      String value = "v".repeat(100);
      long ts = 1_700_000_000_000L;
      Hash head = Hash.ZERO;
      long index = 0;
      List<DurableRecord> pending = new ArrayList<>();
      while (index < entries) {
        int n = (int) Math.min(batch, entries - index);
        String proposer = origins.get((int) (index / batch % origins.size()));
        List<Entry> es = new ArrayList<>(n);
        List<LogEntry> les = new ArrayList<>(n);
        long length = index;
        Hash at = head;
        for (int i = 0; i < n; i++) {
          String json = "{\"op\":\"put\",\"key\":\"key-" + (index * 7919 % 10_000)
              + "\",\"value\":\"" + value + "\"}";
          Entry e = Entry.create(++ts, proposer, json.getBytes(StandardCharsets.UTF_8), null);
          LogEntry le = LogEntry.chain(++index, head, e);
          es.add(e);
          les.add(le);
          head = le.hash();
        }
        pending.add(new DurableRecord.VoteRecord(length, at, Proposal.of(proposer, es)));
        pending.add(new DurableRecord.CommitRecord(les));
        if (pending.size() >= 512 || index == entries) {
          store.appendAndSync(pending); // one fsync per 256 instances: generation, not the bench
          pending = new ArrayList<>();
        }
      }
    } finally {
      store.close();
    }
  }

  private static void delete(Path p) throws IOException {
    try (Stream<Path> s = Files.walk(p)) {
      for (Path f : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(f);
      }
    }
  }
}
