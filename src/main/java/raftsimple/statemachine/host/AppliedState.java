package raftsimple.statemachine.host;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import raftsimple.bus.BusApi.IdempotencyHit;
import raftsimple.bus.BusApi.Outcome;
import raftsimple.chain.Hash;
import raftsimple.chain.Hashing;
import raftsimple.chain.LogEntry;
import raftsimple.statemachine.SnapshotWriter;
import raftsimple.statemachine.StateMachine;
import raftsimple.statemachine.Verdict;
import raftsimple.statemachine.Applied;
import raftsimple.statemachine.Json;

/**
 * The deterministic layer every node runs, in log order, around the user's {@link StateMachine}: it
 * turns committed entries into {@link Outcome}s, keeps the replicated idempotency table, skips
 * system entries, and snapshots all of it together. Not thread-safe; one owner (the state-machine
 * verticle) calls it from one thread.
 *
 * <p>Invariants: entries {@code 1..appliedIndex} have been applied, each exactly once, in order.
 * The idempotency table and the user machine's state are functions of those entries alone, so two
 * nodes that applied the same entries hold equal tables and states.
 *
 * <p><b>Idempotency</b> (CONTRACT "a retry with the same key and body never commits the entry twice;
 * it returns the original outcome"). An entry that carries an {@code idempotencyKey} is handled by
 * the table {@code key → (SHA-256 of the payload bytes, outcome)}:
 *
 * <ul>
 *   <li>unknown key: the entry is applied and its outcome remembered — rejections too, so a retry
 *       of a refused request is refused again with the same reason;
 *   <li>known key, same body hash: the entry is <em>not</em> applied; its outcome is the original
 *       one (original txid, index, hash and result);
 *   <li>known key, different body: the entry is rejected ("already used with a different body"), the
 *       state is unchanged and the table keeps the original.
 * </ul>
 *
 * <p><b>Expiry.</b> The table holds at most {@code idempotencyKeysMax} keys. Recording a new key
 * beyond that forgets the key that was <em>recorded</em> earliest (insertion order; hits and
 * duplicates do not refresh a key). So a key is guaranteed to be remembered until
 * {@code idempotencyKeysMax} newer keys have committed after it; a retry after that is applied as a
 * new request. Eviction is driven by log order only, so every node forgets the same keys at the same
 * index — which requires {@code idempotencyKeysMax} to be the same on every node.
 *
 * <p><b>System entries.</b> A payload that is a JSON object with a top-level field {@value
 * #SYSTEM_FIELD} belongs to the node itself (membership changes): it is never passed to the user's
 * machine and its outcome is ok with a null result. Ingress refuses client payloads with that field,
 * and {@link #validate} rejects them.
 *
 * <p><b>Failures.</b> An unparseable payload becomes a rejected outcome (operating error: the bytes
 * came from the log). An exception from the user's {@code apply}, a null {@link Applied}, or an entry
 * out of order is a programmer error: it propagates, and the node must stop.
 */
public final class AppliedState {
  /** The top-level payload field that marks a system entry. */
  public static final String SYSTEM_FIELD = Json.SYSTEM_FIELD;

  /** A remembered idempotency key: the hash of the body first sent with it and its outcome. */
  record Remembered(Hash bodyHash, Outcome outcome) {}

  private final StateMachine machine;
  private final int idempotencyKeysMax;
  /** Insertion-ordered: the first entry is the oldest key, evicted first. */
  private LinkedHashMap<String, Remembered> idempotency = new LinkedHashMap<>();
  private long appliedIndex;

  public AppliedState(StateMachine machine, int idempotencyKeysMax) {
    this.machine = Objects.requireNonNull(machine, "machine");
    if (idempotencyKeysMax < 0) {
      throw new IllegalArgumentException("idempotencyKeysMax must be >= 0, got " + idempotencyKeysMax);
    }
    this.idempotencyKeysMax = idempotencyKeysMax;
  }

  /** Index of the last applied entry; 0 before the first. */
  public long appliedIndex() {
    return appliedIndex;
  }

  /** Number of remembered idempotency keys (at most {@code idempotencyKeysMax}). */
  public int idempotencyKeyCount() {
    return idempotency.size();
  }

  /**
   * Applies committed entries, which must continue the log: the first has index {@code
   * appliedIndex() + 1} and the rest follow without gaps. Returns one outcome per entry, in order.
   *
   * @throws IllegalStateException before anything is applied, when the batch does not continue the
   *     log (a gap or a repeat is the caller's bug)
   * @throws RuntimeException whatever the user's {@code apply} threw; entries before it stay applied
   */
  public List<Outcome> apply(List<LogEntry> entries) {
    checkContinues(entries);
    List<Outcome> outcomes = new ArrayList<>(entries.size());
    for (LogEntry e : entries) {
      outcomes.add(applyOne(e, true));
      appliedIndex = e.index();
    }
    return outcomes;
  }

  /**
   * Applies entries committed before this process started (the log replayed at start), whose
   * outcomes nobody waits for: the state and the idempotency table end exactly as after {@link
   * #apply}, but the results of entries without an idempotency key are not copied out of the
   * machine's state (the copy, a serialization and a parse per entry, was a third of the time to
   * re-apply a log at start). Same contract and exceptions as {@link #apply}.
   */
  public List<Outcome> applyReplayed(List<LogEntry> entries) {
    checkContinues(entries);
    List<Outcome> duplicates = null;
    for (int i = 0; i < entries.size(); i++) {
      LogEntry e = entries.get(i);
      Outcome o = applyOne(e, false);
      if (o != null && o.index() < e.index()) {
        // A duplicate (docs/PROTOCOL.md §10): its mark in GET /log must survive the restart.
        if (duplicates == null) {
          duplicates = new ArrayList<>(java.util.Collections.nCopies(entries.size(), (Outcome) null));
        }
        duplicates.set(i, o);
      }
      appliedIndex = e.index();
    }
    return duplicates == null ? List.of() : java.util.Collections.unmodifiableList(duplicates);
  }

  private void checkContinues(List<LogEntry> entries) {
    for (int i = 0; i < entries.size(); i++) {
      long expected = appliedIndex + 1 + i;
      if (entries.get(i).index() != expected) {
        throw new IllegalStateException("entry out of order: expected index " + expected + " (applied through "
            + appliedIndex + "), got " + entries.get(i).index());
      }
    }
  }

  /** {@code wanted}: the caller needs the outcome (else only the idempotency table does). */
  private Outcome applyOne(LogEntry e, boolean wanted) {
    String key = e.entry().idempotencyKey();
    if (key == null) {
      return execute(e, wanted);
    }
    Hash bodyHash = Hashing.sha256(e.entry().payload());
    Remembered seen = idempotency.get(key);
    if (seen != null) {
      return seen.bodyHash().equals(bodyHash)
          ? seen.outcome()
          : rejected(e, "Idempotency-Key " + Json.abbreviate(Json.NODES.textNode(key), 100)
              + " was already used with a different body (first at index " + seen.outcome().index() + ")");
    }
    Outcome outcome = execute(e, true);
    remember(key, new Remembered(bodyHash, outcome));
    return outcome;
  }

  /** Runs one entry through the user's machine (or not, for a system entry). */
  private Outcome execute(LogEntry e, boolean detachResult) {
    JsonNode payload;
    try {
      payload = Json.parse(e.entry().payload());
    } catch (IllegalArgumentException notJson) {
      return rejected(e, "entry payload is " + notJson.getMessage());
    }
    if (isSystem(payload)) {
      return new Outcome(e.txid(), e.index(), e.hash(), true, null, null);
    }
    Applied a = machine.apply(payload);
    if (a == null) {
      throw new IllegalStateException(
          machine.getClass().getName() + ".apply returned null at index " + e.index());
    }
    JsonNode result = a.ok() && detachResult ? detach(a.result()) : null;
    return new Outcome(e.txid(), e.index(), e.hash(), a.ok(), result, a.reason());
  }

  /**
   * A copy of the user's result that shares nothing with the machine's state (so a later apply
   * cannot change an outcome already handed out or remembered) and that has the same node types as
   * one read back from a snapshot (so original and restored outcomes are equal).
   */
  private static JsonNode detach(JsonNode result) {
    return result == null ? null : Json.parse(Json.compact(result));
  }

  private void remember(String key, Remembered r) {
    if (idempotencyKeysMax == 0) {
      return;
    }
    Iterator<String> oldest = idempotency.keySet().iterator();
    while (idempotency.size() >= idempotencyKeysMax) {
      oldest.next();
      oldest.remove();
    }
    idempotency.put(key, r);
  }

  private static Outcome rejected(LogEntry e, String reason) {
    return new Outcome(e.txid(), e.index(), e.hash(), false, null, reason);
  }

  private static boolean isSystem(JsonNode payload) {
    return payload != null && payload.isObject() && payload.has(SYSTEM_FIELD);
  }

  /**
   * The ingress pre-check against the current state; changes nothing. System payloads
   * are refused here, since clients may not send them.
   */
  public Verdict validate(JsonNode payload) {
    if (isSystem(payload)) {
      return Verdict.reject("the top-level field \"" + SYSTEM_FIELD + "\" is reserved for the node's own entries");
    }
    Verdict v = machine.validate(payload);
    if (v == null) {
      throw new IllegalStateException(machine.getClass().getName() + ".validate returned null");
    }
    return v;
  }

  /**
   * The user machine's value for {@code key}, as an independent copy (detached like results, so the
   * caller cannot reach the machine's state); empty when absent.
   */
  public Optional<JsonNode> read(String key) {
    Optional<JsonNode> v = machine.read(key);
    if (v == null) {
      throw new IllegalStateException(machine.getClass().getName() + ".read returned null, not Optional.empty()");
    }
    return v.map(AppliedState::detach);
  }

  /** The remembered outcome for an idempotency key, or null when the key is unknown (or expired). */
  public IdempotencyHit lookup(String key) {
    Remembered r = idempotency.get(key);
    return r == null ? null : new IdempotencyHit(key, r.bodyHash(), r.outcome());
  }

  /**
   * The applied index, the idempotency table (oldest first) and the user machine's snapshot, in the
   * versioned layout of {@link AppliedStateSnapshot}. Equal applied entries give equal bytes,
   * provided the user's snapshot is deterministic.
   */
  public byte[] snapshot() {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try {
      snapshotWriter().writeTo(out);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e); // a byte array does not fail
    }
    return out.toByteArray();
  }

  /**
   * Captures the state at {@link #appliedIndex()} now and returns a writer producing the same bytes
   * {@link #snapshot} would have, safe to run on another thread while applies continue: the table is
   * copied (at most {@code idempotencyKeysMax} rows), the user machine captures its own state
   * ({@link StateMachine#snapshotWriter}).
   */
  public SnapshotWriter snapshotWriter() {
    long index = appliedIndex;
    LinkedHashMap<String, Remembered> table = new LinkedHashMap<>(idempotency);
    SnapshotWriter machineState = machine.snapshotWriter();
    if (machineState == null) {
      throw new IllegalStateException(machine.getClass().getName() + ".snapshotWriter returned null");
    }
    return out -> {
      AppliedStateSnapshot.writeHeader(out, index, table);
      machineState.writeTo(out);
    };
  }

  /**
   * Replaces everything with a {@link #snapshot}'s bytes; see {@link #restore(InputStream)}.
   *
   * @throws IllegalArgumentException naming the problem when the bytes are not a valid snapshot
   */
  public void restore(byte[] snapshot) {
    try {
      restore(new java.io.ByteArrayInputStream(snapshot));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e); // a byte array does not fail
    }
  }

  /**
   * Replaces everything with a snapshot read from {@code in} (which ends where the snapshot ends).
   * The header and table are checked before the user's {@code restore} is called, which reads the
   * rest of the stream; this object changes only after it returned. A table larger than this
   * node's {@code idempotencyKeysMax} is cut down oldest-first, as if the keys had been evicted.
   *
   * @throws IllegalArgumentException naming the problem when the bytes are not a valid snapshot (or
   *     the user's {@code restore} refused its part)
   * @throws IOException when the stream cannot be read
   */
  public void restore(InputStream in) throws IOException {
    AppliedStateSnapshot.Header h = AppliedStateSnapshot.readHeader(in);
    LinkedHashMap<String, Remembered> table = new LinkedHashMap<>();
    int skip = Math.max(0, h.table().size() - idempotencyKeysMax);
    for (Map.Entry<String, Remembered> r : h.table().entrySet()) {
      if (skip-- > 0) {
        continue;
      }
      table.put(r.getKey(), r.getValue());
    }
    if (h.machineBytes() >= 0) { // version 1: the machine's bytes are framed, nothing follows
      byte[] machineBytes = in.readNBytes((int) h.machineBytes());
      if (machineBytes.length < h.machineBytes()) {
        throw new IllegalArgumentException("state snapshot: truncated in the state machine snapshot");
      }
      if (in.read() >= 0) {
        throw new IllegalArgumentException("state snapshot: unexpected bytes after the state machine snapshot");
      }
      machine.restore(machineBytes);
    } else {
      machine.restore(new NonClosing(in));
    }
    idempotency = table;
    appliedIndex = h.appliedIndex();
  }

  /** The user's machine gets the stream to read, not to close: the caller owns it. */
  private static final class NonClosing extends java.io.FilterInputStream {
    NonClosing(InputStream in) {
      super(in);
    }

    @Override
    public void close() {
      // not the machine's to close
    }
  }
}
