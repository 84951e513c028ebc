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
   * One outcome per entry of the batch, same order (none for a replayed batch); {@code
   * appliedIndex} after the batch.
   */
  public record ApplyResults(List<Outcome> outcomes, long appliedIndex) {}

  public record Validate(JsonNode payload) {}

  /** Read {@code key} once the state reflects at least {@code minIndex} entries. */
  public record Read(String key, long minIndex) {}

  /** {@code value} is null when the key is absent; {@code index} is the applied index it reflects. */
  public record ReadResult(String key, JsonNode value, long index) {}

  public record IdempotencyLookup(String key) {}

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

  /** The state machine's snapshot bytes at {@code appliedIndex}. */
  public record SnapshotBytes(long appliedIndex, byte[] data) {}

  /** Log → state machine: replace the state with snapshot {@code data}; reply the applied index. */
  public record Restore(byte[] data) {}

  /** Log → ingress/transport: the current members, after every change (and once at start). */
  public record Members(long version, java.util.List<raftsimple.core.Membership.Member> members) {}

  /** Ingress → log: change the membership; reply a {@link SubmitOutcome}. */
  public record MembershipChange(String op, String id, String url, String role) {}

  /** A transport's view of one peer, for {@code GET /cluster}. */
  public record PeerReachability(String peerId, boolean reachable) {}

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
