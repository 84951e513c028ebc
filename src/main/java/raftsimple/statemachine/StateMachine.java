package raftsimple.statemachine;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;

/**
 * The user's function that gives committed entries their meaning. Chosen by the
 * {@code stateMachine} config key: {@code "kv"} or the fully qualified name of a public class with a
 * public no-argument constructor implementing this interface.
 *
 * <p>Contract for implementers:
 * <ul>
 *   <li>All methods are called from one thread, one at a time; no locking is needed.
 *   <li>{@link #validate} is a pre-check at ingress against the current state. It must not
 *       change the state. Passing it is no promise: entries from other nodes may be applied first.
 *   <li>{@link #apply} is called for every committed entry, in log order, on every node. It must be
 *       deterministic: the same state and payload give the same new state and result on every node
 *       (no clocks, randomness, I/O or iteration over unordered hash maps). It decides again: return
 *       {@link Applied#rejected} to refuse, leaving the state unchanged. Throwing stops the node,
 *       because a non-deterministic or broken state machine cannot be replicated safely.
 *   <li>{@link #snapshot} returns the whole state as bytes; {@link #restore} replaces the state with
 *       such bytes. {@code restore(snapshot())} must give a state that applies entries identically.
 * </ul>
 * Payloads are Jackson trees; treat them as read-only.
 */
public interface StateMachine {

  Verdict validate(JsonNode payload);

  /**
   * Reads one key of the current state for {@code GET /kv/{key}}: the value, or empty when the key
   * is absent. State machines without keyed state may keep this default, which finds nothing.
   */
  default Optional<JsonNode> read(String key) {
    return Optional.empty();
  }

  Applied apply(JsonNode payload);

  byte[] snapshot();

  /**
   * Captures the current state and returns a task that produces its {@link #snapshot} bytes. The
   * task may run on another thread while {@link #apply} goes on, so it must only read what it
   * captured. The default serializes at once on the calling thread (correct, but applies wait for
   * it); machines with a large state override it with a cheap copy (the KV machine copies its
   * sorted map in linear time and serializes the copy in the background).
   */
  default java.util.function.Supplier<byte[]> snapshotLater() {
    byte[] bytes = snapshot();
    return () -> bytes;
  }

  void restore(byte[] snapshot);
}
