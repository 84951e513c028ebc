package raftsimple.bus;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import raftsimple.chain.Hash;
import raftsimple.chain.LogEntry;

/**
 * The immutable request and reply bodies that travel between a node's verticles (see
 * {@link Addresses} for who sends which where). Byte arrays inside them are never mutated.
 */
public final class BusApi {
  private BusApi() {}

  /** Reply meaning "nothing found" where a lookup has no answer. */
  public static final Nothing NONE = new Nothing();

  public record Nothing() {}

  /** A client entry that passed validation; {@code wallMs} is the ingress's wall clock (txid only). */
  public record Submit(byte[] payload, String idempotencyKey, long wallMs) {}

  /** How a submitted entry ended, as the ingress needs it to answer the client. */
  public record SubmitOutcome(
      Kind kind, Hash txid, long index, Hash hash, JsonNode result, String code, String reason) {
    public enum Kind {
      COMMITTED,
      REJECTED,
      UNAVAILABLE,
      REFUSED
    }

    public static SubmitOutcome of(Outcome o) {
      return o.ok()
          ? new SubmitOutcome(Kind.COMMITTED, o.txid(), o.index(), o.hash(), o.result(), null, null)
          : new SubmitOutcome(Kind.REJECTED, o.txid(), o.index(), o.hash(), null, "REJECTED", o.reason());
    }
  }

  /**
   * The recorded result of applying one entry. For a duplicate (an idempotency key seen before) it
   * is the original entry's outcome, so a retry is answered exactly like the first attempt.
   */
  public record Outcome(Hash txid, long index, Hash hash, boolean ok, JsonNode result, String reason) {}

  /**
   * Committed entries to apply, in log order, contiguous. {@code replayed}: they were committed
   * before this process started (the log re-applied at start); nobody waits for their outcomes, and
   * the reply carries none.
   */
  public record ApplyBatch(List<LogEntry> entries, boolean replayed) {
    public ApplyBatch(List<LogEntry> entries) {
      this(entries, false);
    }
  }

  /**
   * Entries the state machine has just applied ({@link Addresses#LOG_COMMITTED}): contiguous, in log
   * order, never empty; the list is unmodifiable and the entries immutable.
   */
  public record Committed(List<LogEntry> entries) {
    public Committed {
      if (entries.isEmpty()) {
        throw new IllegalArgumentException("a Committed message carries at least one entry");
      }
    }

    public long firstIndex() {
      return entries.get(0).index();
    }

    public long lastIndex() {
      return entries.get(entries.size() - 1).index();
    }
  }

  /**
   * One outcome per entry of the batch, same order; {@code appliedIndex} after the batch. For a
   * replayed batch, nobody waits: empty, or null for every entry but the duplicates (whose marks
   * {@code GET /log} shows).
   */
  public record ApplyResults(List<Outcome> outcomes, long appliedIndex) {}

  public record Validate(JsonNode payload) {}

  /** Read {@code key} once the state reflects at least {@code minIndex} entries. */
  public record Read(String key, long minIndex) {}

  /** {@code value} is null when the key is absent; {@code index} is the applied index it reflects. */
  public record ReadResult(String key, JsonNode value, long index) {}

  public record IdempotencyLookup(String key) {}

  /**
   * Ingress → log: a request with idempotency key {@code key} and body hash {@code bodyHash};
   * replies {@link #NONE} at once when no entry with that key is in flight on this node, else the
   * entry's {@link SubmitOutcome} when it has one (or 503 at the request timeout).
   */
  public record Attach(String key, Hash bodyHash) {}

  /** A remembered key: the hash of the body first sent with it, and that entry's outcome. */
  public record IdempotencyHit(String key, Hash bodyHash, Outcome outcome) {}

  /** A linearizable read asks how far the local log must reach. */
  public record ReadBarrier() {}

  /** The log length a linearizable read must wait for. */
  public record ReadIndex(long length) {}

  /**
   * A peer's HTTP request body as received by the ingress; {@code peerCertSubject} is the subject of
   * the verified client certificate (null when TLS is off).
   */
  public record PeerHttpBody(io.vertx.core.buffer.Buffer body, String peerCertSubject) {}

  /** Log → state machine: snapshot the state as it is now (after the last applied batch). */
  public record TakeSnapshot() {}

  /** Writes a captured state; runs on a worker thread and must not close the stream. */
  @FunctionalInterface
  public interface StateWriter {
    void writeTo(java.io.OutputStream out) throws java.io.IOException;
  }

  /**
   * The state machine's state captured at {@code appliedIndex} (in constant time, for the KV
   * machine), to be written by the log layer straight into the snapshot file, off the event loop.
   */
  public record SnapshotCapture(long appliedIndex, StateWriter writer) {}

  /** Opens a snapshot's state stream; called on a worker thread, the caller closes the stream. */
  @FunctionalInterface
  public interface StateSource {
    java.io.InputStream open() throws java.io.IOException;
  }

  /** Log → state machine: replace the state with the snapshot {@code source}; reply the applied index. */
  public record Restore(StateSource source) {
    /** A snapshot held in memory (tests). */
    public static Restore of(byte[] data) {
      return new Restore(() -> new java.io.ByteArrayInputStream(data));
    }
  }

  /** Ingress → log: where the snapshot file at {@code length} is, to stream it to a peer. */
  public record SnapshotFileQuery(long length) {}

  /** The snapshot file at a length and its size in bytes. */
  public record SnapshotFileInfo(java.nio.file.Path file, long size) {}

  /** Asks the log verticle for a snapshot of what it has applied (GET /snapshot). */
  public record SnapshotNow() {}

  /** A durable snapshot file of the first {@code length} entries, ending at {@code head} (hex). */
  public record SnapshotReady(long length, String head, String file) {}

  /** Log → ingress/transport: the current members, after every change (and once at start). */
  public record Members(long version, java.util.List<raftsimple.core.msg.Membership.Member> members) {}

  /** Ingress → log: change the membership; reply a {@link SubmitOutcome}. */
  public record MembershipChange(String op, String id, String url, String role) {}

  /**
   * Log → transport ({@link Addresses#PEER_OUT}): several protocol messages in one bus message, for
   * any peers, in the order they must leave. Equivalent to sending each on its own; one bus hop
   * instead of one per message. The list is never mutated.
   */
  public record PeerMessages(List<raftsimple.core.msg.Message> messages) {
    public PeerMessages {
      messages = List.copyOf(messages);
    }

    /**
     * Hands each message of a {@code PEER_OUT} body to {@code send}, in order: the body is one
     * {@code core.msg.Message} or a {@code PeerMessages}.
     *
     * @throws IllegalStateException for any other body (a wiring bug)
     */
    public static void forEach(Object body, java.util.function.Consumer<raftsimple.core.msg.Message> send) {
      if (body instanceof raftsimple.core.msg.Message msg) {
        send.accept(msg);
      } else if (body instanceof PeerMessages batch) {
        batch.messages().forEach(send);
      } else {
        throw new IllegalStateException(Addresses.PEER_OUT + " takes core.msg.Message or "
            + "BusApi.PeerMessages, not " + (body == null ? "null" : body.getClass().getName()));
      }
    }
  }

  /**
   * Transport → log ({@link Addresses#PEER_REACHABILITY}, published): the transport's connection to
   * {@code peerId} went down or came back. Sent on edges only (docs/TRANSPORTS.md §1.5): one event
   * per change, never one per failed retry. {@code reason} says what the transport saw,
   * {@code detail} the error text (for logs; may be empty), {@code transport} which transport.
   */
  public record PeerReachability(
      String peerId, boolean reachable, Reason reason, String detail, String transport) {
    /** What made the transport change its mind. */
    public enum Reason {
      /** A connection was established (or, event bus: the peer joined, a send succeeded again). */
      CONNECTED,
      /** The peer refused the connection: nothing listens there (process down, wrong port). */
      REFUSED,
      /** An established connection was reset or closed by the peer (killed, restarted, stopped). */
      CLOSED,
      /** The TLS handshake failed (untrusted certificate, wrong CN, bad host name). */
      TLS,
      /** Connecting, or a send, did not finish in time (peer host unreachable, peer frozen). */
      TIMEOUT,
      /** The connection is up but the peer stopped answering liveness pings (SIGSTOP, hung loop). */
      NO_PONG,
      /** The peer answered, but refused this node's stream or messages (HTTP status in detail). */
      REFUSED_BY_PEER,
      /** Event bus: the peer's cluster member left. */
      MEMBER_LEFT,
      /** Event bus: a send failed for another reason (no handler registered, connection lost). */
      SEND_FAILED
    }

    public PeerReachability {
      java.util.Objects.requireNonNull(peerId, "peerId");
      java.util.Objects.requireNonNull(reason, "reason");
      detail = detail == null ? "" : detail;
    }
  }

  /** Queries answered by the log verticle. */
  public record Query(Kind kind, String txid, long from, int limit) {
    public enum Kind {
      HEAD,
      LOG,
      ENTRY,
      CLUSTER,
      READY
    }
  }
}
