package raftsimple.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * A node's configuration, parsed and validated once at start by {@link ConfigParser} (CONTRACT
 * "Node configuration"; every key is documented in docs/CONFIG.md). Immutable; paths are absolute
 * when the record comes from the parser. Durations end in {@code Ms}, sizes in
 * {@code Bytes}, limits in {@code Max}.
 *
 * @param peers the other initial voting members (never this node)
 * @param join URL of an existing member to join through, or null
 * @param tls TLS settings; when {@code enabled} and the paths are null, a self-signed certificate is
 *     generated in {@code dataDir} on first start
 * @param eventbus clustered event-bus settings, only for {@code transport: "eventbus"} (else null)
 */
public record NodeConfig(
    String nodeId,
    String host,
    int port,
    Path dataDir,
    boolean readOnly,
    List<Peer> peers,
    String join,
    String transport,
    String stateMachine,
    long headTimeoutMs,
    Tls tls,
    EventBus eventbus,
    Limits limits) {

  public NodeConfig {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(dataDir, "dataDir");
    peers = List.copyOf(peers);
    Objects.requireNonNull(transport, "transport");
    Objects.requireNonNull(stateMachine, "stateMachine");
    Objects.requireNonNull(tls, "tls");
    Objects.requireNonNull(limits, "limits");
  }

  public record Peer(String id, String url) {}

  public record Tls(boolean enabled, String certPath, String keyPath, String caPath) {}

  /** {@code host}/{@code port}: where this node's cluster manager binds; {@code members}: the others. */
  public record EventBus(String host, int port, List<String> members) {
    public EventBus {
      members = List.copyOf(members);
    }
  }

  /**
   * Tunables beyond CONTRACT, each with a default chosen for a small cluster on modest hardware.
   *
   * @param requestTimeoutMs how long a client write or linearizable read waits before 503
   * @param bodyBytesMax largest accepted request body (413 above)
   * @param batchEntriesMax most entries in one proposal
   * @param batchBytesMax most payload bytes in one proposal
   * @param pendingEntriesMax most client entries a node holds uncommitted (503 OVERLOADED above)
   * @param idempotencyKeysMax how many idempotency keys the replicated table remembers (oldest out)
   * @param catchUpEntriesMax most entries per catch-up reply
   * @param heartbeatMs interval of the position heartbeat between peers
   * @param walSegmentBytes size at which the write-ahead log starts a new segment file
   * @param snapshotEveryEntries take a snapshot after this many entries since the last one
   * @param snapshotEveryBytes ... or after this many payload bytes since the last one
   * @param snapshotRetainEntries entries kept in memory before a snapshot, so peers that are only a
   *     little behind catch up from the log instead of the whole snapshot
   * @param eventLoops Vert.x event-loop threads; by default half the cores (at least one): the
   *     node's verticles then share fewer threads, and a hand-off between them (ingress → log →
   *     state machine) is often a queue on the same thread rather than a wake-up of another. On 2
   *     cores one loop gave 1.4–1.7× the single-node throughput of four (bench/README.md).
   */
  public record Limits(
      long requestTimeoutMs,
      int bodyBytesMax,
      int batchEntriesMax,
      int batchBytesMax,
      int pendingEntriesMax,
      int idempotencyKeysMax,
      int catchUpEntriesMax,
      long heartbeatMs,
      long walSegmentBytes,
      long snapshotEveryEntries,
      long snapshotEveryBytes,
      int snapshotRetainEntries,
      int eventLoops) {

    public static Limits defaults() {
      return new Limits(5_000, 1 << 20, 2_048, 4 << 20, 50_000, 100_000, 4_096, 200, 64L << 20,
          100_000, 64L << 20, 10_000, defaultEventLoops());
    }

    /** Half the cores, at least one. */
    public static int defaultEventLoops() {
      return Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
    }
  }

  /** The node that {@code java -jar raftsimple.jar} runs with no config: CONTRACT defaults. */
  public static NodeConfig defaults() {
    return new NodeConfig(
        "n1",
        "127.0.0.1",
        6969,
        Path.of("data"),
        false,
        List.of(),
        null,
        "https",
        "kv",
        1_500,
        new Tls(true, null, null, null),
        null,
        Limits.defaults());
  }

  /**
   * True when this node becomes a member by joining an existing cluster (docs/PROTOCOL.md §11):
   * with {@code join}, or as a read-only member, which joins through its {@code peers}. Otherwise
   * it is a founding member, one of the voters its {@code peers} list.
   */
  public boolean joins() {
    return join != null || (readOnly && !peers.isEmpty());
  }

  /** Every voting member's id at start, this node included unless it is read-only; sorted. */
  public List<String> initialVoters() {
    java.util.TreeSet<String> ids = new java.util.TreeSet<>();
    for (Peer p : peers) {
      ids.add(p.id());
    }
    if (!readOnly) {
      ids.add(nodeId);
    }
    return List.copyOf(ids);
  }
}
