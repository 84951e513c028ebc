package raftsimple.ingress;

import com.fasterxml.jackson.databind.node.ObjectNode;
import raftsimple.bus.BusApi.SubmitOutcome;

/**
 * How a submitted entry's outcome is told to the client (CONTRACT "Submit a log entry"). The same
 * mapping answers a first attempt and an idempotent retry, so both read exactly alike.
 *
 * <ul>
 *   <li>{@code COMMITTED}: 201 {@code {"txid", "index", "head", "status": "committed", "result"}},
 *       {@code head} being the chain hash at the entry's index.
 *   <li>{@code REJECTED} (refused when applied): 409 {@code REJECTED} with the reason, the txid and
 *       index — the entry is in the log as a no-op for the state.
 *   <li>{@code UNAVAILABLE}: 503 {@code UNAVAILABLE}, with the txid when one was assigned (the entry
 *       may still commit; {@code GET /entries/{txid}} tells).
 *   <li>{@code REFUSED}: {@code READ_ONLY} is 403 and needs the writable members, so the caller
 *       handles it; so does the core's {@code REMOVED} (this node was removed from the cluster),
 *       which the client sees as CONTRACT's 503 {@code UNAVAILABLE} with {@code "removed": true}
 *       and the writable members ({@link WritableMembers#removedReply}); any other code (e.g.
 *       {@code OVERLOADED}) is 503 with that code.
 * </ul>
 */
final class Outcomes {
  private Outcomes() {}

  static final String READ_ONLY = "READ_ONLY";
  /** The core's refusal code on a node that is no longer a member (never shown to clients). */
  static final String REMOVED = "REMOVED";

  static boolean isReadOnlyRefusal(SubmitOutcome o) {
    return o.kind() == SubmitOutcome.Kind.REFUSED && READ_ONLY.equals(o.code());
  }

  static boolean isRemovedRefusal(SubmitOutcome o) {
    return o.kind() == SubmitOutcome.Kind.REFUSED && REMOVED.equals(o.code());
  }

  /** The reply for every outcome except a {@code READ_ONLY} or {@code REMOVED} refusal. */
  static Reply reply(SubmitOutcome o) {
    switch (o.kind()) {
      case COMMITTED:
        return committed(o);
      case REJECTED:
        return rejected(o);
      case UNAVAILABLE:
        return unavailable(o);
      case REFUSED:
        return refused(o);
      default:
        throw new IllegalStateException("unknown outcome kind " + o.kind());
    }
  }

  private static Reply committed(SubmitOutcome o) {
    if (o.txid() == null || o.hash() == null || o.index() < 1) {
      throw new IllegalStateException("a committed outcome lacks its txid, hash or index: " + o);
    }
    ObjectNode body = Reply.object();
    body.put("txid", o.txid().hex());
    body.put("index", o.index());
    body.put("head", o.hash().hex());
    body.put("status", "committed");
    body.set("result", o.result() == null ? Payloads.NODES.nullNode() : o.result());
    return Reply.of(201, body);
  }

  private static Reply rejected(SubmitOutcome o) {
    ObjectNode body = Errors.body("REJECTED", orDefault(o.reason(), "the state machine rejected the entry"));
    if (o.txid() != null) {
      body.put("txid", o.txid().hex());
    }
    if (o.index() > 0) {
      body.put("index", o.index());
    }
    return Reply.of(409, body);
  }

  private static Reply unavailable(SubmitOutcome o) {
    ObjectNode body = Errors.body("UNAVAILABLE",
        orDefault(o.reason(), "the entry's outcome is not known yet; it may still commit"));
    if (o.txid() != null) {
      body.put("txid", o.txid().hex());
    }
    return Reply.of(503, body);
  }

  private static Reply refused(SubmitOutcome o) {
    String code = o.code() == null || o.code().isBlank() ? "UNAVAILABLE" : o.code();
    return Errors.reply(503, code, orDefault(o.reason(), "the node refused the entry"));
  }

  /** 409 for a state machine's refusal at validation: nothing was logged, no txid. */
  static Reply invalid(String reason) {
    return Errors.reply(409, "REJECTED", orDefault(reason, "the state machine rejected the entry"));
  }

  private static String orDefault(String s, String otherwise) {
    return s == null || s.isBlank() ? otherwise : s;
  }
}
