package raftsimple.statemachine;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
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
 *   <li>{@link #snapshot} returns the whole state as bytes; {@link #restore(byte[])} replaces the
 *       state with such bytes. {@code restore(snapshot())} must give a state that applies entries
 *       identically. That is all a small machine needs.
 *   <li>A machine with a large state also overrides the streaming pair: {@link #snapshotWriter}
 *       captures the state cheaply and returns a {@link SnapshotWriter} that the node runs on a
 *       worker thread, writing straight into the snapshot file, while applies go on; {@link
 *       #restore(InputStream)} reads such a stream back (on a worker thread too, with every other
 *       call held until it returns). Their defaults adapt the whole-value pair, so a machine that
 *       implements only {@link #snapshot} and {@link #restore(byte[])} works unchanged (its
 *       snapshot is serialized on the calling thread, and applies wait for it).
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

  /** The whole state as bytes (see {@link #snapshotWriter} for large states). */
  byte[] snapshot();

  /**
   * Replaces the state with {@link #snapshot}'s bytes. Checks everything first and throws
   * {@link IllegalArgumentException} naming the problem before it changes anything.
   */
  void restore(byte[] snapshot);

  /**
   * Captures the current state and returns what writes it. The writer runs later, on another
   * thread, while {@link #apply} goes on, so it must write only what it captured (a persistent
   * data structure makes the capture O(1): the KV machine keeps the current version of its map).
   * The default serializes at once, on the calling thread, with {@link #snapshot}.
   */
  default SnapshotWriter snapshotWriter() {
    byte[] bytes = snapshot();
    return out -> out.write(bytes);
  }

  /**
   * Replaces the state with one read from {@code in}: exactly the bytes a {@link #snapshotWriter}
   * wrote (the stream ends where they end). Like {@link #restore(byte[])} it checks everything
   * before it changes anything: {@link IllegalArgumentException} for bytes that are not such a
   * snapshot, {@link IOException} when the stream cannot be read. The default reads the whole stream
   * and calls {@link #restore(byte[])}.
   */
  default void restore(InputStream in) throws IOException {
    restore(in.readAllBytes());
  }
}
