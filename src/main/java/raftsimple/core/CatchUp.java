package raftsimple.core;

import java.util.List;
import raftsimple.chain.ChainVerifier;
import raftsimple.chain.LogEntry;
import raftsimple.core.msg.Message;

/**
 * Bringing a node that is behind up to date (H6, docs/PROTOCOL.md §7): it fetches whole committed
 * batches from a peer that reported a longer log, verifies every hash before appending anything,
 * and only then takes part in the instance at its new head. One fetch is in flight at a time; a
 * fetch that is not answered within two retransmit intervals is retried, from the furthest peer.
 * Fetches are served from the released prefix only (§6: a fetched batch is one its sender may
 * reveal). Owns its own state; verified batches are returned for the node to append.
 */
final class CatchUp {
  private final Node node;
  private boolean inFlight;
  private String peer;
  private long sentAtMs;
  /** When to fetch if a peer ahead was seen but the gap may close by itself (a commit in flight). */
  private long dueAtMs = Long.MAX_VALUE;
  /** While a snapshot transfer runs (the shell does it), until this deadline: no other fetches. */
  private long snapshotDeadlineMs;
  private static final long SNAPSHOT_TRANSFER_MS = 120_000;
  private static final long SNAPSHOT_RETRY_MIN_MS = 2_000;

  CatchUp(Node node) {
    this.node = node;
  }

  /** A peer reported a longer log. {@code now}: fetch at once; else wait one retransmit interval. */
  void behind(String from, boolean now) {
    if (now) {
      fetchNow(from);
    } else {
      dueAtMs = Math.min(dueAtMs, node.now + node.settings.retransmitMs());
    }
  }

  void fetchNow(String from) {
    if (inFlight && node.now - sentAtMs < 2 * node.settings.retransmitMs()) {
      return;
    }
    inFlight = true;
    peer = from;
    sentAtMs = node.now;
    dueAtMs = Long.MAX_VALUE;
    node.marks.hit("H6.fetch");
    node.pub.send(0, new Message.Fetch(node.self, from, node.pub.releasedLength(),
        node.pub.releasedHead(), node.log.length() + 1, node.settings.catchUpEntriesMax()));
  }

  /**
   * True when a peer heard from within one head timeout reported a longer log: proposing now would
   * only collide with the instance that peer already decided.
   */
  boolean isBehind() {
    if (transferringSnapshot()) {
      return true;
    }
    for (PeerTable.Position p : node.peers.all().values()) {
      if (p.length() > node.log.length() && node.now - p.heardAtMs() <= node.settings.headTimeoutMs()) {
        return true;
      }
    }
    return false;
  }

  void onTick() {
    boolean stale = inFlight && node.now - sentAtMs >= 2 * node.settings.retransmitMs();
    if (stale) {
      inFlight = false;
      node.marks.hit("H6.fetch-timeout");
    }
    if ((stale || node.now >= dueAtMs) && !inFlight) {
      dueAtMs = Long.MAX_VALUE;
      String best = node.peers.furthest(node.now - node.settings.headTimeoutMs());
      if (best != null && node.peers.get(best).length() > node.log.length()) {
        fetchNow(best);
      }
    }
  }

  void onFetch(Message.Fetch f) {
    node.peers.heard(f.from(), f.length(), f.head(), node.now);
    serve(f);
  }

  /**
   * Answers a fetch with decided batches (or, below the compacted base, with an offer of the
   * snapshot). Committed entries are public (GET /log), so this is also served to non-members.
   */
  void serve(Message.Fetch f) {
    int max = Math.max(1, Math.min(f.max(), node.settings.catchUpEntriesMax()));
    if (f.fromIndex() - 1 < node.log.baseLength() && node.snapshotLength > 0) {
      // Compacted away: the peer must start from our snapshot (docs §12).
      node.marks.hit("H6.offer-snapshot");
      node.pub.send(0, new Message.FetchReply(node.self, f.from(), node.pub.releasedLength(),
          node.pub.releasedHead(), f.fromIndex(), List.of(), node.snapshotLength));
      return;
    }
    List<List<LogEntry>> batches = node.log.batchesAfter(f.fromIndex() - 1, max,
        node.pub.releasedLength());
    node.pub.send(0, new Message.FetchReply(node.self, f.from(), node.pub.releasedLength(),
        node.pub.releasedHead(), f.fromIndex(), batches, 0));
  }

  /**
   * The batches of a fetch reply that continue this node's log, verified (each one against the end
   * of the previous); the node appends them and then calls {@link #afterFetched}.
   */
  List<List<LogEntry>> onFetchReply(Message.FetchReply r) {
    if (r.from().equals(peer)) {
      inFlight = false;
    }
    if (r.fromIndex() != node.log.length() + 1) {
      return List.of(); // an answer to an older request; the entries are already here or do not fit
    }
    if (r.batches().isEmpty() && r.snapshotLength() > node.log.length()) {
      requestSnapshot(r.from(), r.snapshotLength());
      return List.of();
    }
    List<List<LogEntry>> ok = new java.util.ArrayList<>();
    long length = node.log.length();
    raftsimple.chain.Hash head = node.log.head();
    java.util.Set<raftsimple.chain.Hash> seen = new java.util.HashSet<>();
    for (List<LogEntry> batch : r.batches()) {
      String problem = verify(length, head, batch, seen);
      if (problem != null) {
        node.marks.hit("H6.fetch-rejected");
        break;
      }
      node.marks.hit("H6.fetched-batch");
      ok.add(batch);
      length = batch.get(batch.size() - 1).index();
      head = batch.get(batch.size() - 1).hash();
    }
    return ok;
  }

  /** After appending what a reply from {@code from} brought: fetch on while that peer is ahead. */
  void afterFetched(String from, boolean gotSome) {
    PeerTable.Position p = node.peers.get(from);
    if (p != null && p.length() > node.log.length() && gotSome) {
      fetchNow(from);
    }
  }

  private void requestSnapshot(String from, long length) {
    if (node.now < snapshotDeadlineMs) {
      return; // one snapshot transfer at a time
    }
    node.marks.hit("H6.snapshot-needed");
    long wait = snapshotRetryMs();
    snapshotDeadlineMs = node.now + wait;
    inFlight = true;
    sentAtMs = node.now + wait; // no fetch retries while the transfer runs
    node.fx.snapshotFetch = new raftsimple.core.msg.Effects.SnapshotFetch(from, length);
  }

  /**
   * How long a snapshot transfer may run before this node fetches (and asks for a snapshot) again.
   * The shell has no way to report a failed transfer, so this bounds how long one lost chunk or a
   * peer that replaced its snapshot keeps the node from catching up. It was a fixed 120 s, longer
   * than any head timeout by far (simulator, membership swarm seeds 2 and 8: a lost reply left a
   * node behind for two minutes after every fault had stopped). Asking again while a transfer still
   * runs is harmless: the shell runs one transfer at a time and ignores the request.
   */
  private long snapshotRetryMs() {
    return Math.min(SNAPSHOT_TRANSFER_MS,
        Math.max(SNAPSHOT_RETRY_MIN_MS, 10 * node.settings.headTimeoutMs()));
  }

  /** The shell installed a snapshot: fetch what follows it. */
  void snapshotInstalled() {
    snapshotDeadlineMs = 0;
    inFlight = false;
    dueAtMs = node.now;
  }

  boolean transferringSnapshot() {
    return node.now < snapshotDeadlineMs;
  }

  private String verify(long length, raftsimple.chain.Hash head, List<LogEntry> batch,
      java.util.Set<raftsimple.chain.Hash> seen) {
    if (batch.isEmpty()) {
      return "empty batch";
    }
    String problem = ChainVerifier.firstProblem(length, head, batch);
    if (problem != null) {
      return problem;
    }
    for (LogEntry e : batch) {
      if (!seen.add(e.txid()) || node.log.contains(e.txid())) {
        return "entry " + e.index() + " repeats a committed txid";
      }
    }
    return null;
  }

  /** When {@link #onTick} has something to do next (Long.MAX_VALUE: nothing). */
  long deadlineMs() {
    // While a fetch is in flight only its timeout matters (onTick fetches again only after it).
    return inFlight ? sentAtMs + 2 * node.settings.retransmitMs() : dueAtMs;
  }
}
