package raftsimple.ingress;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Optional;
import raftsimple.bus.Addresses;
import raftsimple.bus.BusApi;
import raftsimple.bus.BusApi.IdempotencyHit;
import raftsimple.bus.BusApi.IdempotencyLookup;
import raftsimple.bus.BusApi.Submit;
import raftsimple.bus.BusApi.SubmitOutcome;
import raftsimple.bus.BusApi.Validate;
import raftsimple.chain.Hash;
import raftsimple.chain.Hashing;
import raftsimple.config.NodeConfig;
import raftsimple.statemachine.Verdict;

/**
 * {@code POST /entries} (CONTRACT "Submit a log entry"). In order: a read-only node refuses (403);
 * an {@code Idempotency-Key}, if any, must be 1..{@value #KEY_CHARS_MAX} printable ASCII characters
 * (400); the body must be one JSON value that is not a system entry (400); a keyed request is
 * checked against requests in flight here ({@link IdempotencyGate}), then against this node's
 * entries in flight ({@code LOG_ATTACH}), then against the replicated table ({@code
 * SM_IDEMPOTENCY}), all by SHA-256 of the canonical payload bytes; the
 * state machine validates the payload (409 when it refuses); the log verticle proposes it and answers
 * once it is committed or has definitively failed ({@link Outcomes}).
 *
 * <p>A retry is never a second entry on this node (docs/PROTOCOL.md §10): while the first
 * attempt's HTTP request is open it shares its reply ({@link IdempotencyGate}); after that, while
 * its entry is in flight, it joins the entry in the log verticle ({@code LOG_ATTACH}, even after the
 * first attempt was answered 503); once the entry is applied the replicated table answers. Only a
 * retry sent to another node while the first attempt's origin is cut off can reach the log twice;
 * the state machine layer then records it as a duplicate of the first and does not apply it (409 if
 * its body differs).
 */
final class EntriesRoutes {
  static final String KEY_HEADER = "Idempotency-Key";
  /** The log's refusal of a key in flight with another body (422 to the client). */
  static final String KEY_REUSED = "IDEMPOTENCY_KEY_REUSED";
  static final int KEY_CHARS_MAX = 256;

  /**
   * Extra wait beyond {@code requestTimeoutMs} for the log verticle's answer: it answers 503 itself
   * at the request timeout (with the txid), on its own timer; this bus timeout only covers a log
   * verticle that cannot answer at all.
   */
  static final long SUBMIT_MARGIN_MS = 1_000;

  private final NodeConfig config;
  private final Bus bus;
  private final WritableMembers writable;
  private final IdempotencyGate gate;

  EntriesRoutes(NodeConfig config, Bus bus, WritableMembers writable, IdempotencyGate gate) {
    this.config = config;
    this.bus = bus;
    this.writable = writable;
    this.gate = gate;
  }

  void mount(RouteFactory routes, Handler<RoutingContext> bodyHandler) {
    routes.route(HttpMethod.POST, "/entries").handler(bodyHandler).handler(this::submit);
  }

  private void submit(RoutingContext ctx) {
    Replies.send(ctx, handle(ctx));
  }

  private Future<Reply> handle(RoutingContext ctx) {
    if (config.readOnly()) {
      return writable.readOnlyReply("this node is read-only; send writes to a voting member");
    }
    List<String> keys = ctx.request().headers().getAll(KEY_HEADER);
    String keyProblem = keyProblem(keys);
    if (keyProblem != null) {
      return Future.succeededFuture(Errors.badRequest(keyProblem));
    }
    Payloads.Payload payload;
    try {
      payload = Payloads.parse(RawBody.of(ctx).getBytes());
    } catch (Payloads.BadPayload e) {
      return Future.succeededFuture(Errors.badRequest(e.getMessage()));
    }
    if (keys.isEmpty()) {
      return validateAndSubmit(payload, null);
    }
    String key = keys.get(0);
    Hash bodyHash = Hashing.sha256(payload.canonical());
    // The order matters (docs/PROTOCOL.md §10): the log frees a key only once the state machine has
    // applied its entry, so a key that is not in flight there is either unknown or already in the
    // replicated table by the time the table is asked.
    return gate.run(key, bodyHash, () -> attached(key, bodyHash)
        .compose(inFlight -> inFlight.isPresent() ? Future.succeededFuture(inFlight.get())
            : remembered(key, bodyHash).compose(seen -> seen.isPresent()
                ? Future.succeededFuture(seen.get())
                : validateAndSubmit(payload, key))));
  }

  /**
   * The reply of the entry in flight on this node with this key (a retry after a 503 joins it
   * instead of becoming a second entry), or empty when there is none.
   */
  private Future<Optional<Reply>> attached(String key, Hash bodyHash) {
    return bus.request(Addresses.LOG_ATTACH, new BusApi.Attach(key, bodyHash), timeoutMs() + SUBMIT_MARGIN_MS)
        .compose(reply -> reply instanceof BusApi.Nothing
            ? Future.succeededFuture(Optional.<Reply>empty())
            : reply(Bus.expect(Addresses.LOG_ATTACH, reply, SubmitOutcome.class), key).map(Optional::of));
  }

  /** Null when the Idempotency-Key headers are absent or one valid key, else what is wrong. */
  static String keyProblem(List<String> keys) {
    if (keys.isEmpty()) {
      return null;
    }
    if (keys.size() > 1) {
      return "send at most one " + KEY_HEADER + " header";
    }
    String key = keys.get(0);
    if (key.isEmpty() || key.length() > KEY_CHARS_MAX) {
      return KEY_HEADER + " must be 1 to " + KEY_CHARS_MAX + " characters long";
    }
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c < 0x20 || c > 0x7e) {
        return KEY_HEADER + " must be printable ASCII; bad character at position " + i;
      }
    }
    return null;
  }

  /** The reply a remembered key gives (the original outcome, or 422), or empty when unknown. */
  private Future<Optional<Reply>> remembered(String key, Hash bodyHash) {
    return bus.request(Addresses.SM_IDEMPOTENCY, new IdempotencyLookup(key), timeoutMs())
        .map(reply -> {
          if (reply instanceof BusApi.Nothing) {
            return Optional.empty();
          }
          IdempotencyHit hit = Bus.expect(Addresses.SM_IDEMPOTENCY, reply, IdempotencyHit.class);
          return Optional.of(hit.bodyHash().equals(bodyHash)
              ? Outcomes.reply(SubmitOutcome.of(hit.outcome()))
              : IdempotencyGate.reused(key));
        });
  }

  private Future<Reply> validateAndSubmit(Payloads.Payload payload, String key) {
    return bus.request(Addresses.SM_VALIDATE, new Validate(payload.tree()), timeoutMs(), Verdict.class)
        .compose(verdict -> verdict.accepted()
            ? propose(payload, key)
            : Future.succeededFuture(Outcomes.invalid(verdict.reason())));
  }

  private Future<Reply> propose(Payloads.Payload payload, String key) {
    // The ingress's wall clock feeds only the txid (the core never reads a clock; hazard H8).
    Submit submit = new Submit(payload.canonical(), key, System.currentTimeMillis());
    return bus.request(Addresses.LOG_SUBMIT, submit, timeoutMs() + SUBMIT_MARGIN_MS, SubmitOutcome.class)
        .compose(outcome -> reply(outcome, key));
  }

  /** The client's reply; refusals that name the writable members ask the log for them. */
  private Future<Reply> reply(SubmitOutcome outcome, String key) {
    if (outcome.kind() == SubmitOutcome.Kind.REFUSED && KEY_REUSED.equals(outcome.code())) {
      return Future.succeededFuture(IdempotencyGate.reused(key));
    }
    if (Outcomes.isReadOnlyRefusal(outcome)) {
      return writable.readOnlyReply(outcome.reason() == null ? "this node is read-only" : outcome.reason());
    }
    if (Outcomes.isRemovedRefusal(outcome)) {
      return writable.removedReply(outcome.reason() == null
          ? "this node was removed from the cluster" : outcome.reason());
    }
    return Future.succeededFuture(Outcomes.reply(outcome));
  }

  private long timeoutMs() {
    return config.limits().requestTimeoutMs();
  }
}
