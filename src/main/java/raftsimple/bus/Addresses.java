package raftsimple.bus;

/**
 * Every event-bus address a node uses, in one place. All of them are registered with
 * {@code localConsumer}: with the clustered event bus (transport "eventbus") a plain consumer would
 * make the address cluster-wide and a message meant for this node's log verticle could reach another
 * node's. Payloads are the immutable records in this package and {@code core.msg}; they cross the
 * local bus by reference through {@link LocalCodec}.
 */
public final class Addresses {
  private Addresses() {}

  /**
   * Options for every send to a node-internal address: local only (with the clustered event bus a
   * plain send may be routed to another process that registered the same name) and an explicit
   * timeout (never the 30 s default).
   */
  public static io.vertx.core.eventbus.DeliveryOptions local(long sendTimeoutMs) {
    return new io.vertx.core.eventbus.DeliveryOptions().setLocalOnly(true)
        .setSendTimeout(Math.max(1, sendTimeoutMs));
  }

  /** Local-only options for fire-and-forget sends and publishes. */
  public static final io.vertx.core.eventbus.DeliveryOptions LOCAL =
      new io.vertx.core.eventbus.DeliveryOptions().setLocalOnly(true);

  /** Ingress → log. Body {@link BusApi.Submit}; reply {@link BusApi.SubmitOutcome}. */
  public static final String LOG_SUBMIT = "raftsimple.log.submit";

  /**
   * Ingress → log. Body {@link BusApi.Attach}; reply {@link BusApi#NONE} at once, or later the
   * {@link BusApi.SubmitOutcome} of the entry in flight with that idempotency key.
   */
  public static final String LOG_ATTACH = "raftsimple.log.attach";

  /** Ingress → log. Body {@link BusApi.Query}; reply a Jackson {@code ObjectNode} ready to send. */
  public static final String LOG_QUERY = "raftsimple.log.query";

  /** Ingress → log. Body {@link BusApi.ReadBarrier}; reply {@link BusApi.ReadIndex}. */
  public static final String LOG_READ_BARRIER = "raftsimple.log.read-barrier";

  /** Transport → log. Body {@code core.msg.Message} from a peer; no reply. */
  public static final String PEER_IN = "raftsimple.peer.in";

  /**
   * Log → transport. Body {@code core.msg.Message}, delivered to {@code message.to()}, or a {@link
   * BusApi.PeerMessages} holding several (each delivered to its {@code to()}, in order); no reply.
   */
  public static final String PEER_OUT = "raftsimple.peer.out";

  /**
   * Ingress → HTTPS transport. Body {@link BusApi.PeerHttpBody}: the body of a {@code POST
   * /peer/messages} that arrived on the client port from an authenticated peer; reply an
   * {@code Integer} HTTP status for the sender (204 when taken, 400 when malformed).
   */
  public static final String PEER_HTTP_INBOUND = "raftsimple.peer.http-inbound";

  /**
   * Transport → log (published, so that any verticle may listen; nobody must). Body {@link
   * BusApi.PeerReachability}: a peer's connection went down or came back (edges only); no reply.
   */
  public static final String PEER_REACHABILITY = "raftsimple.peer.reachability";

  /**
   * Log → state machine. Body {@link BusApi.TakeSnapshot}; reply {@link BusApi.SnapshotCapture} (the
   * state is captured at once; the log layer writes it off the event loop).
   */
  public static final String SM_SNAPSHOT = "raftsimple.sm.snapshot";

  /** Log → state machine. Body {@link BusApi.Restore}; reply the applied index (Long). */
  public static final String SM_RESTORE = "raftsimple.sm.restore";

  /**
   * Ingress → log. Body {@link BusApi.SnapshotNow}; reply {@link BusApi.SnapshotReady}: a durable
   * snapshot covering what this node had applied when asked (GET /snapshot); fails 503 when none
   * can be taken now.
   */
  public static final String LOG_SNAPSHOT = "raftsimple.log.snapshot";

  /**
   * Ingress → log. Body {@link BusApi.SnapshotFileQuery}; reply {@link BusApi.SnapshotFileInfo}, or a
   * failure 404 with a JSON error body when this node holds no snapshot at that length (any more).
   */
  public static final String LOG_SNAPSHOT_FILE = "raftsimple.log.snapshot-file";

  /** Ingress → log. Body {@link BusApi.MembershipChange}; reply {@link BusApi.SubmitOutcome}. */
  public static final String LOG_MEMBERSHIP = "raftsimple.log.membership";

  /** Log → everyone (publish). Body {@link BusApi.Members}: the membership changed. */
  public static final String MEMBERS = "raftsimple.members";

  /**
   * Log → ingress (publish, node-local). Body {@link BusApi.Committed}: entries just applied to the
   * state machine, in log order and contiguous within one message; no reply. Consecutive messages
   * are contiguous too, except across a snapshot install, which skips the entries it covers. This is
   * the live end of {@code GET /watch}; what came before is read with {@link #LOG_QUERY}.
   */
  public static final String LOG_COMMITTED = "raftsimple.log.committed";

  /** Ingress → state machine. Body {@link BusApi.Validate}; reply {@code statemachine.Verdict}. */
  public static final String SM_VALIDATE = "raftsimple.sm.validate";

  /** Log → state machine. Body {@link BusApi.ApplyBatch}; reply {@link BusApi.ApplyResults}. */
  public static final String SM_APPLY = "raftsimple.sm.apply";

  /** Ingress → state machine. Body {@link BusApi.Read}; reply {@link BusApi.ReadResult}. */
  public static final String SM_READ = "raftsimple.sm.read";

  /**
   * Ingress → state machine. Body {@link BusApi.IdempotencyLookup}; reply
   * {@link BusApi.IdempotencyHit}, or {@link BusApi#NONE} when the key is unknown.
   */
  public static final String SM_IDEMPOTENCY = "raftsimple.sm.idempotency";
}
