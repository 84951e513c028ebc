package raftsimple.ingress;

import io.vertx.core.Future;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import raftsimple.chain.Hash;

/**
 * Requests with an {@code Idempotency-Key} that are in flight on this ingress. A second request with
 * a key already in flight does not run again: with the same body it shares the first one's reply;
 * with a different body it is refused (422 {@code IDEMPOTENCY_KEY_REUSED}). Once the first
 * request's reply is known the key leaves the gate; from then on the replicated idempotency table
 * (the state machine's, asked through {@code SM_IDEMPOTENCY}) answers retries.
 *
 * <p>Confined to the ingress verticle's event loop (no locking). Bounded: at most {@code keysMax}
 * keys in flight; beyond that a keyed request is refused with 503 {@code OVERLOADED}.
 *
 * <p>Invariant: {@code inFlight.get(k).reply} is not complete, except within the call that
 * completes it (its completion handler removes the key).
 */
final class IdempotencyGate {
  private record InFlight(Hash bodyHash, Future<Reply> reply) {}

  private final Map<String, InFlight> inFlight = new HashMap<>();
  private final int keysMax;

  IdempotencyGate(int keysMax) {
    if (keysMax < 1) {
      throw new IllegalArgumentException("keysMax must be >= 1, got " + keysMax);
    }
    this.keysMax = keysMax;
  }

  /**
   * Runs {@code request} for {@code key}, unless a request with that key is already in flight: then
   * the reply is that request's (same body) or 422 (different body).
   */
  Future<Reply> run(String key, Hash bodyHash, Supplier<Future<Reply>> request) {
    InFlight running = inFlight.get(key);
    if (running != null) {
      return running.bodyHash().equals(bodyHash) ? running.reply() : Future.succeededFuture(reused(key));
    }
    if (inFlight.size() >= keysMax) {
      return Future.succeededFuture(Errors.reply(503, "OVERLOADED",
          "too many requests with an Idempotency-Key in flight (" + keysMax + "); retry later"));
    }
    Future<Reply> reply = request.get();
    InFlight mine = new InFlight(bodyHash, reply);
    inFlight.put(key, mine);
    // Registered after put: a reply that is already complete removes the key at once.
    reply.onComplete(done -> inFlight.remove(key, mine));
    return reply;
  }

  int size() {
    return inFlight.size();
  }

  static Reply reused(String key) {
    return Errors.reply(422, "IDEMPOTENCY_KEY_REUSED",
        "Idempotency-Key " + quoted(key) + " was already used with a different body");
  }

  private static String quoted(String key) {
    return '"' + (key.length() <= 64 ? key : key.substring(0, 64) + "...") + '"';
  }
}
