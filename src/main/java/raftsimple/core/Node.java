package raftsimple.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import raftsimple.chain.Entry;
import raftsimple.chain.Hash;
import raftsimple.chain.LogEntry;
import raftsimple.core.msg.Ballot;
import raftsimple.core.msg.ClientEvent;
import raftsimple.core.msg.DurableRecord;
import raftsimple.core.msg.Effects;
import raftsimple.core.msg.Input;
import raftsimple.core.msg.Message;
import raftsimple.core.msg.Proposal;
import raftsimple.core.quorum.Majority;
import raftsimple.core.quorum.RecoveryChoice;

/**
 * One node's replication protocol (docs/PROTOCOL.md): a deterministic state machine with no I/O, no
 * threads and no clock of its own. The shell feeds it {@link Input}s with {@link #step} and carries
 * out the returned {@link Effects}: durable records first, then everything else.
 *
 * <p>Each head is one consensus instance ({@link Instance}). Round 0 is the seed's path: a node with
 * queued client entries and no vote on its head proposes them, voting for its own proposal; voters
 * vote for the first proposal they see on their head; the proposer alone counts round-0 votes and
 * decides with a majority if it has promised nothing. A stalled or split instance is finished by
 * recovery: a Paxos round at ballot ≥ 1 whose coordinator picks the value with
 * {@link RecoveryChoice}.
 */
public final class Node {
  private static final int EARLY_MAX = 1_024;
  private static final String LEARNED_FROM_COMMIT = "18.commit-received";
  private static final int BACKOFF_SHIFT_MAX = 4;

  final NodeSettings settings;
  final String self;
  private final SplittableRandom random;
  CommittedLog log;
  /** The configuration at the head: who votes on the current instance (docs §11, H7). */
  Membership config;
  /**
   * Configurations by the log length from which they apply, oldest first: the one in effect at the
   * log's base and every later one, so a snapshot of any retained length records the right one.
   */
  private final java.util.TreeMap<Long, Membership> history = new java.util.TreeMap<>();
  /** Length of the newest durable snapshot (0: none); lagging peers below the log are sent it. */
  long snapshotLength;
  final Marks marks = new Marks();
  final PeerTable peers = new PeerTable();
  private final TxidClock clock;
  /** This node's client entries not yet committed, in arrival order (the seed's pending queue). */
  private final LinkedHashMap<Hash, Entry> queue = new LinkedHashMap<>();
  /** Messages about instances this node has not reached yet, replayed when it reaches them. */
  private final ArrayDeque<Message> early = new ArrayDeque<>();
  final CatchUp catchUp;
  final Forwarding forwarding = new Forwarding(this);
  final ReadRounds reads;
  private final Confirmations confirmations = new Confirmations(this);
  Instance inst;
  long now;
  /** The highest entry timestamp this node has made durable (a ClockRecord). */
  private long durableClockTs;
  private long nextHeartbeatMs;
  /**
   * This node's log length at the previous two heartbeats (newest first), the bar a learner must
   * reach to count as caught up; {@code Long.MAX_VALUE} until there is such a history.
   */
  private final long[] lengthAtHeartbeats = {Long.MAX_VALUE, Long.MAX_VALUE};
  Effects fx;

  public Node(NodeSettings settings, DurableState recovered, long seed) {
    this.settings = settings;
    this.self = settings.nodeId();
    this.random = new SplittableRandom(seed);
    this.log = recovered.log;
    this.config = recovered.membership != null ? recovered.membership
        : replayMembership(DurableState.initialMembership(settings), recovered.log);
    this.snapshotLength = recovered.log.baseLength();
    history.put(config.version(), config);
    this.inst = new Instance(log.length(), log.head());
    inst.vote = recovered.vote;
    inst.promised = recovered.promised;
    inst.acceptedBallot = recovered.acceptedBallot;
    inst.acceptedValue = recovered.acceptedValue;
    inst.seeBallot(inst.promised);
    if (inst.vote != null) {
      inst.learnRound0(inst.vote);
      if (inst.vote.proposer().equals(self)) {
        // Restarted mid-proposal: keep collecting votes for it; deciding stays safe because the
        // promise (if any) was recovered too.
        inst.mine = inst.vote;
        inst.grants.add(self);
      }
    }
    if (inst.acceptedValue != null) {
      inst.learn(inst.acceptedValue);
    }
    this.durableClockTs = recovered.clockFloor;
    this.clock = new TxidClock(self, Math.max(recovered.clockFloor, highestOwnTs()));
    this.catchUp = new CatchUp(this);
    this.reads = new ReadRounds(this, random.nextLong() >>> 1);
  }

  /** Feeds one input and returns what the shell must do (persist first, then the rest). */
  public Effects step(Input in) {
    fx = new Effects();
    if (in instanceof Input.Tick t) {
      onTick(t.nowMs());
    } else if (in instanceof Input.Submit s) {
      onSubmit(s);
    } else if (in instanceof Input.Receive r) {
      onReceive(r.message());
    } else if (in instanceof Input.ReadBarrier b) {
      reads.onBarrier(b.ref());
    } else if (in instanceof Input.SnapshotTaken t) {
      onSnapshotTaken(t);
    } else if (in instanceof Input.SnapshotInstalled i) {
      onSnapshotInstalled(i);
    }
    checkInvariants();
    Effects out = fx;
    fx = null;
    return out;
  }

  // ---------------------------------------------------------------- queries for the shell and tests

  public long length() {
    return log.length();
  }

  public Hash head() {
    return log.head();
  }

  public CommittedLog log() {
    return log;
  }

  public Marks marks() {
    return marks;
  }

  public String nodeId() {
    return self;
  }

  public List<String> voters() {
    return config.voters();
  }

  /** The configuration in effect after the first {@code length} entries (length ≥ the log's base). */
  public Membership membershipAt(long length) {
    java.util.Map.Entry<Long, Membership> e = history.floorEntry(length);
    return e == null ? history.firstEntry().getValue() : e.getValue();
  }

  /** The configuration at this node's head (docs §11). */
  public Membership membership() {
    return config;
  }

  /** Number of this node's client entries waiting to commit. */
  public int queued() {
    return queue.size();
  }

  /** What this node knows of entry {@code txid} (seed: pending / accepted / committed). */
  public EntryStatus status(Hash txid) {
    long index = log.indexOf(txid);
    if (index > 0) {
      return new EntryStatus(EntryStatus.State.COMMITTED, index, log.get(index).entry().origin());
    }
    for (Proposal p : new Proposal[] {inst.vote, inst.acceptedValue}) {
      Entry e = p == null ? null : find(p, txid);
      if (e != null) {
        return new EntryStatus(EntryStatus.State.ACCEPTED, -1, e.origin());
      }
    }
    Entry q = queue.get(txid);
    if (q != null) {
      return new EntryStatus(EntryStatus.State.PENDING, -1, q.origin());
    }
    for (Proposal p : inst.known.values()) {
      Entry e = find(p, txid);
      if (e != null) {
        return new EntryStatus(EntryStatus.State.PENDING, -1, e.origin());
      }
    }
    return null;
  }

  /** Each peer's last reported position and when it was heard (monotonic ms), by id. */
  public Map<String, PeerTable.Position> peerPositions() {
    return peers.all();
  }

  /**
   * True when this node has heard from a majority of voters within two head timeouts and none of
   * them reported a longer log: it has caught up and can serve ({@code GET /ready}).
   */
  public boolean ready() {
    if (config.get(self) == null) {
      return false; // removed from the cluster
    }
    int fresh = isVoter() ? 1 : 0;
    for (Map.Entry<String, PeerTable.Position> e : peers.all().entrySet()) {
      boolean recent = now - e.getValue().heardAtMs() <= 2 * settings.headTimeoutMs();
      if (recent && e.getValue().length() > log.length()) {
        return false;
      }
      if (recent && isVoter(e.getKey())) {
        fresh++;
      }
    }
    return Majority.reached(fresh, voterCount());
  }

  // ---------------------------------------------------------------- inputs

  private void onTick(long nowMs) {
    now = nowMs;
    if (now >= nextHeartbeatMs && config.get(self) != null) {
      nextHeartbeatMs = now + settings.heartbeatMs();
      promoteCaughtUpLearner();
      for (String p : members()) {
        send(new Message.Status(self, p, log.length(), log.head(), inst.voted()));
      }
    }
    armRecoveryIfNeeded();
    if (now >= inst.retransmitAtMs) {
      retransmit();
    }
    if (now >= inst.recoveryAtMs) {
      inst.recoveryAtMs = Long.MAX_VALUE;
      if (isVoter() && (inst.voted() || !queue.isEmpty())) {
        marks.hit("16a.head-timeout-recovery");
        startRecovery();
      }
    }
    catchUp.onTick();
    reads.onTick();
    confirmations.release();
    maybePropose();
  }

  private void onSubmit(Input.Submit s) {
    if (!isVoter()) {
      Membership.Member me = config.get(self);
      fx.client.add(me == null
          ? new ClientEvent.Refused(s.ref(), "REMOVED", "this node is not a member of the cluster")
          : new ClientEvent.Refused(s.ref(), "READ_ONLY", "this node is " + (me.role()
              == Membership.Role.LEARNER ? "a learner, not yet a voter"
              : me.role() == Membership.Role.VOTER ? "catching up to its configuration"
              : "read-only")));
      return;
    }
    if (SystemEntries.isSystem(s.payload()) && refuseMembership(s)) {
      return;
    }
    if (queue.size() >= settings.pendingEntriesMax()) {
      fx.client.add(new ClientEvent.Refused(s.ref(), "OVERLOADED",
          "more than " + settings.pendingEntriesMax() + " entries are waiting to commit on this node"));
      return;
    }
    Entry e = stamp(s.wallMs(), s.payload(), s.idempotencyKey());
    queue.put(e.txid(), e);
    fx.client.add(new ClientEvent.Assigned(s.ref(), e.txid()));
    maybePropose();
    forwarding.forward(queue);
  }

  private void onReceive(Message m) {
    if (!m.to().equals(self) || m.from().equals(self)) {
      marks.hit("input.message-from-unknown-node");
      return;
    }
    if (!members().contains(m.from())) {
      if (!learnFromNewerMember(m) && !helpNonMemberCatchUp(m)) {
        marks.hit("input.message-from-unknown-node");
      }
      return;
    }
    if (m instanceof Message.Status s) {
      onStatus(s);
    } else if (m instanceof Message.Fetch f) {
      catchUp.onFetch(f);
    } else if (m instanceof Message.FetchReply r) {
      peers.heard(r.from(), r.length(), r.head(), now);
      catchUp.onFetchReply(r);
    } else if (m instanceof Message.ReadQuery q) {
      send(new Message.ReadReply(self, q.from(), log.length(), log.head(), q.readRound(), inst.voted()));
    } else if (m instanceof Message.ReadReply r) {
      reads.onReply(r);
    } else if (m instanceof Message.Forward f) {
      peers.heard(f.from(), f.length(), f.head(), now);
      forwarding.onForward(f);
    } else {
      routeInstanceMessage(m);
    }
  }

  /**
   * H7, H6: a node behind a membership change does not know the members added since its head; if
   * the members it knows have all left, only those newer ones can tell it that it is behind
   * (simulator, membership swarm seeds 4164 and 5967: a joiner given a configuration whose only
   * voter then left ignored the new voter's heartbeats as from an unknown node, for good). So a
   * position report showing a longer log, and fetched batches, are taken from any node: every
   * node's log holds decided batches only, and fetched ones are verified before they are used.
   * Consensus messages from non-members stay ignored.
   */
  private boolean learnFromNewerMember(Message m) {
    if (m instanceof Message.Status st && st.length() > log.length()) {
      marks.hit("H7.status-from-newer-member");
      onStatus(st);
      return true;
    } else if (m instanceof Message.FetchReply r) {
      peers.heard(r.from(), r.length(), r.head(), now);
      catchUp.onFetchReply(r);
      return true;
    }
    return false;
  }

  /**
   * H7: a voter removed while it was cut off (or a commit or two behind) still believes in the old
   * configuration. It can learn of its removal only from the log, by fetching up to the entry that
   * removed it, yet the members no longer count it as one and ignored its position reports and
   * fetches, so it stayed a "voter" of the old configuration for good (real-process test). So a
   * non-member behind this node is told where this node is, and its fetches are served: committed
   * batches are public (GET /log) and verified by the fetcher. It is never recorded as a peer and
   * its consensus messages stay ignored.
   */
  private boolean helpNonMemberCatchUp(Message m) {
    if (m instanceof Message.Status st && st.length() < log.length()) {
      marks.hit("H7.status-to-non-member");
      send(new Message.Status(self, st.from(), log.length(), log.head(), inst.voted()));
      return true;
    } else if (m instanceof Message.Fetch f) {
      marks.hit("H7.fetch-from-non-member");
      catchUp.serve(f);
      return true;
    }
    return false;
  }

  /** Delivers a consensus message to the instance it is about, or deals with the mismatch (seed 14). */
  private void routeInstanceMessage(Message m) {
    boolean request = m instanceof Message.Propose || m instanceof Message.Prepare
        || m instanceof Message.Accept;
    if (!(m instanceof Message.Commit)) {
      peers.heard(m.from(), m.length(), m.head(), now);
    }
    if (m.length() < log.length()) {
      if (request) {
        // The sender is behind: tell it where we are so it catches up (H6).
        marks.hit("14.sender-behind");
        send(new Message.Status(self, m.from(), log.length(), log.head(), inst.voted()));
      }
      return;
    }
    if (m.length() > log.length()) {
      // We are behind (seed 16): keep the message for when we reach its head, and catch up.
      marks.hit("16.head-mismatch-behind");
      keepEarly(m);
      catchUp.behind(m.from(), !(m instanceof Message.Propose));
      return;
    }
    if (!m.head().equals(log.head())) {
      marks.hit("14.divergent-head");
      return;
    }
    dispatchInstance(m);
  }

  private void dispatchInstance(Message m) {
    if (m instanceof Message.Propose p) {
      onPropose(p);
    } else if (m instanceof Message.Vote v) {
      onVote(v);
    } else if (m instanceof Message.Commit c) {
      onCommit(c);
    } else if (m instanceof Message.Prepare p) {
      onPrepare(p);
    } else if (m instanceof Message.Promise p) {
      onPromise(p);
    } else if (m instanceof Message.Accept a) {
      onAccept(a);
    } else if (m instanceof Message.Accepted a) {
      onAccepted(a);
    }
  }

  private void onStatus(Message.Status s) {
    peers.heard(s.from(), s.length(), s.head(), now);
    if (s.length() > log.length()) {
      catchUp.behind(s.from(), true);
    } else if (s.length() == log.length() && !s.head().equals(log.head())) {
      marks.hit("14.divergent-head");
    }
  }

  /**
   * H7: a learner counts toward no quorum until it has caught up; then one voter — the lowest id
   * among the voters heard from recently, so normally exactly one — proposes its promotion. A
   * duplicate from another voter is refused at apply (it names an older version) and costs nothing.
   *
   * <p>"Caught up" means its latest position (heard within three heartbeats) has reached the length
   * this node had two heartbeats ago, not the length it has now: under continuous writes a learner
   * is always a little behind the voters' current length, so that bar was never met and a join
   * never completed while clients kept writing (real-process test). Two heartbeats of lag is what
   * a learner that keeps pace shows at worst (its report is up to one heartbeat old, plus transit);
   * a learner still fetching the history lags by far more and stays a learner.
   */
  private void promoteCaughtUpLearner() {
    long bar = lengthAtHeartbeats[1];
    lengthAtHeartbeats[1] = lengthAtHeartbeats[0];
    lengthAtHeartbeats[0] = log.length();
    if (!isVoter() || !lowestLiveVoter()) {
      return;
    }
    for (Entry q : queue.values()) {
      if (SystemEntries.isSystem(q.payload())) {
        return; // one change at a time from this node
      }
    }
    for (Membership.Member m : config.members().values()) {
      PeerTable.Position p = peers.get(m.id());
      boolean caughtUp = p != null && now - p.heardAtMs() <= 3 * settings.heartbeatMs()
          && p.length() >= bar;
      if (m.role() == Membership.Role.LEARNER && caughtUp) {
        Membership.Change c = new Membership.Change(Membership.Change.Op.PROMOTE, m.id(), null, null,
            config.version());
        Entry e = stamp(0, SystemEntries.encode(c), null);
        queue.put(e.txid(), e);
        marks.hit("H7.promote-learner");
        return;
      }
    }
  }

  private boolean lowestLiveVoter() {
    for (String v : config.voters()) {
      if (v.equals(self)) {
        return true;
      }
      PeerTable.Position p = peers.get(v);
      if (p != null && now - p.heardAtMs() <= 3 * settings.heartbeatMs()) {
        return false;
      }
    }
    return false;
  }

  // ---------------------------------------------------------------- snapshots (docs §12)

  private void onSnapshotTaken(Input.SnapshotTaken t) {
    if (t.length() <= snapshotLength || t.length() > log.length()) {
      return;
    }
    snapshotLength = t.length();
    log.compactTo(log.boundaryAtOrBelow(Math.max(log.baseLength(), t.length() - t.retainEntries())));
    // Keep the configuration in effect at the new base and every later one.
    Long base = history.floorKey(log.baseLength());
    if (base != null) {
      history.headMap(base, false).clear();
    }
    marks.hit("snapshot.taken");
  }

  private void onSnapshotInstalled(Input.SnapshotInstalled s) {
    if (s.length() <= log.length()) {
      return; // caught up meanwhile; the snapshot brings nothing new
    }
    marks.hit("H6.snapshot-installed");
    log = new CommittedLog(s.length(), s.head());
    if (s.membership().version() >= config.version()) {
      config = s.membership();
    } else {
      // A joiner was given a configuration newer than the snapshot's (which may not even list
      // it): keep it, as a restart would (DurableState keeps the newer ConfigRecord). Taking the
      // snapshot's left the joiner ignoring every current member as unknown and fetching from
      // members that had left (simulator, membership swarm seed 4290). It is ahead of the log
      // now, so this node counts no votes until its log reaches it (isVoter).
      marks.hit("H7.kept-newer-configuration");
    }
    history.clear();
    history.put(config.version(), config);
    snapshotLength = s.length();
    if (!queue.isEmpty()) {
      // Some of these may be inside the snapshot, which has no txids: proposing them again could
      // commit them twice, so their outcome is left to the clients (503, poll by txid).
      fx.client.add(new ClientEvent.QueueDropped(new ArrayList<>(queue.keySet())));
      queue.clear();
    }
    forwarding.clear();
    inst = new Instance(log.length(), log.head());
    catchUp.snapshotInstalled();
    replayEarly();
    reads.onAdvance();
  }

  // ---------------------------------------------------------------- round 0: proposing (seed 12–13)

  /** Proposes queued entries on the head if this node may (seed 13, 15, 18 "process the queue"). */
  void maybePropose() {
    if (!isVoter() || inst.active() || catchUp.isBehind()) {
      return;
    }
    List<Entry> batch = new ArrayList<>();
    int bytes = 0;
    // Entries other nodes forwarded go first: they have waited at least one instance.
    if (!forwarding.anyProposable(queue.size()) && !forwarding.carrying()) {
      return;
    }
    for (Entry e : forwarding.takeForProposal()) {
      batch.add(e);
      bytes += e.sizeBytes();
    }
    for (Entry e : queue.values()) {
      if (batch.size() >= settings.batchEntriesMax()
          || (!batch.isEmpty() && bytes + e.sizeBytes() > settings.batchBytesMax())) {
        break;
      }
      if (forwarding.proposable(e.txid(), false)) {
        batch.add(e);
        bytes += e.sizeBytes();
      }
    }
    if (batch.isEmpty()) {
      return;
    }
    Proposal p = Proposal.of(self, batch);
    inst.mine = p;
    inst.vote = p;
    inst.learnRound0(p);
    inst.grants.add(self);
    if (voterCount() == 1) {
      // A cluster of one decides at once: the commit record written in this same step is the only
      // record needed (a vote that is never sent protects nothing).
      decide(p, "R0.decided-alone");
      return;
    }
    // H2: our own vote is durable before the proposal leaves (the shell gates sends on it).
    fx.persist.add(new DurableRecord.VoteRecord(inst.length, inst.head, p));
    for (String v : otherVoters()) {
      send(new Message.Propose(self, v, inst.length, inst.head, p));
    }
    inst.retransmitAtMs = now + settings.retransmitMs();
    armRecoveryIfNeeded();
  }

  // ---------------------------------------------------------------- round 0: voting (seed 14–15)

  private void onPropose(Message.Propose m) {
    Proposal p = m.proposal();
    if (!p.proposer().equals(m.from()) || !validValue(p)) {
      marks.hit("input.bad-proposal");
      return;
    }
    inst.learnRound0(p);
    if (inst.vote == null && inst.promised == null) {
      inst.vote = p;
      fx.persist.add(new DurableRecord.VoteRecord(inst.length, inst.head, p));
      marks.hit("15.vote");
      armRecoveryIfNeeded();
    }
    boolean granted = inst.vote != null && inst.vote.id().equals(p.id()) && inst.promised == null;
    if (!granted) {
      marks.hit("H1.refuse-second-proposal");
    }
    if (granted) {
      // Before the vote, so that if our vote decides, the proposer already holds our entries for
      // its next proposal (H5).
      forwarding.forward(queue);
    }
    Hash votedFor = inst.vote == null ? null : inst.vote.id();
    String votedForProposer = inst.vote == null ? null : inst.vote.proposer();
    send(new Message.Vote(self, m.from(), inst.length, inst.head, p.id(), granted,
        granted ? null : votedFor, granted ? null : votedForProposer));
  }

  private void onVote(Message.Vote m) {
    Proposal mine = inst.mine;
    if (mine == null || !m.proposalId().equals(mine.id()) || !isVoter(m.from())) {
      return;
    }
    if (m.granted()) {
      inst.grants.add(m.from());
      inst.refusals.remove(m.from());
    } else if (!inst.grants.contains(m.from())) {
      inst.refusals.put(m.from(), m.votedFor());
      if (m.votedFor() != null && m.votedForProposer() != null) {
        inst.round0Proposer.putIfAbsent(m.votedFor(), m.votedForProposer());
      }
    }
    // Only the proposer decides round 0, and only while it has promised nothing (docs §5.1).
    if (inst.promised == null && Majority.reached(inst.grants.size(), voterCount())) {
      decide(mine, "R0.decided");
      return;
    }
    if (!inst.splitHandled && Majority.impossible(inst.grants.size(), mayStillGrant(), voterCount())) {
      onSplit();
    }
  }

  /**
   * Voters that have not answered our proposal and could still grant it: those heard from within
   * three heartbeats (a voter that is down cannot). Only a liveness heuristic — it decides whether
   * to start recovery now rather than after a head timeout, and recovery is always safe.
   */
  private int mayStillGrant() {
    int n = 0;
    for (String v : otherVoters()) {
      if (inst.grants.contains(v) || inst.refusals.containsKey(v)) {
        continue;
      }
      PeerTable.Position p = peers.get(v);
      if (p != null && now - p.heardAtMs() <= 3 * settings.heartbeatMs()) {
        n++;
      }
    }
    return n;
  }

  /**
   * H4: our proposal cannot win. The lowest-ranked proposer involved coordinates recovery at once;
   * the others stand by and take over after a randomized backoff if it does not finish.
   */
  private void onSplit() {
    inst.splitHandled = true;
    marks.hit("H4.split-detected");
    String coordinator = self;
    for (Map.Entry<String, Hash> r : inst.refusals.entrySet()) {
      if (r.getValue() == null) {
        return; // a voter already promised a recovery ballot: someone is coordinating
      }
      String proposer = inst.round0Proposer.get(r.getValue());
      if (proposer != null && proposer.compareTo(coordinator) < 0) {
        coordinator = proposer;
      }
    }
    if (coordinator.equals(self)) {
      marks.hit("H4.coordinate-split");
      startRecovery();
    } else {
      inst.recoveryAtMs = Math.min(inst.recoveryAtMs, now + backoffMs());
    }
  }

  private void onCommit(Message.Commit m) {
    Proposal v = inst.known.get(m.valueId());
    if (v != null) {
      decide(v, LEARNED_FROM_COMMIT);
    } else {
      marks.hit("18.commit-unknown-value-fetch");
      catchUp.behind(m.from(), true);
      catchUp.fetchNow(m.from());
    }
  }

  // ---------------------------------------------------------------- recovery (seed 16a, ballots ≥ 1)

  void startRecovery() {
    long round = inst.maxRoundSeen + 1;
    Ballot b = new Ballot(round, self);
    inst.seeBallot(b);
    inst.promised = b;
    fx.persist.add(new DurableRecord.PromiseRecord(inst.length, inst.head, b));
    inst.myBallot = b;
    inst.promises.clear();
    inst.chosen = null;
    inst.acceptedBy.clear();
    inst.promises.put(self, selfPromise(b));
    for (String v : otherVoters()) {
      send(new Message.Prepare(self, v, inst.length, inst.head, b));
    }
    marks.hit("recovery.start");
    inst.recoveries++;
    inst.retransmitAtMs = now + settings.retransmitMs();
    inst.recoveryAtMs = now + recoveryDelayMs();
    tryChoose();
  }

  private Message.Promise selfPromise(Ballot b) {
    return new Message.Promise(self, self, inst.length, inst.head, b, true, null, inst.vote,
        inst.acceptedBallot, inst.acceptedValue, null);
  }

  private void onPrepare(Message.Prepare m) {
    Ballot b = m.ballot();
    inst.seeBallot(b);
    if (!b.atLeast(inst.promised)) {
      send(new Message.Promise(self, m.from(), inst.length, inst.head, b, false, inst.promised,
          null, null, null, null));
      return;
    }
    if (b.greaterThan(inst.promised)) {
      inst.promised = b;
      fx.persist.add(new DurableRecord.PromiseRecord(inst.length, inst.head, b));
      marks.hit("recovery.promise");
    }
    if (inst.myBallot != null && b.greaterThan(inst.myBallot)) {
      abandonCoordination("recovery.yield-to-higher-ballot");
    }
    send(new Message.Promise(self, m.from(), inst.length, inst.head, b, true, null, inst.vote,
        inst.acceptedBallot, inst.acceptedValue, null));
    armRecoveryIfNeeded();
  }

  private void onPromise(Message.Promise m) {
    if (m.round0Vote() != null && validValue(m.round0Vote())) {
      inst.learnRound0(m.round0Vote());
    }
    if (m.acceptedValue() != null && validValue(m.acceptedValue())) {
      inst.learn(m.acceptedValue());
    }
    inst.seeBallot(m.promised());
    if (inst.myBallot == null || !m.ballot().equals(inst.myBallot) || inst.chosen != null
        || !isVoter(m.from())) {
      return;
    }
    if (!m.ok()) {
      abandonCoordination("recovery.nack");
      return;
    }
    if (m.decided() != null && validValue(m.decided())) {
      decide(m.decided(), "recovery.learned-decision");
      return;
    }
    inst.promises.put(m.from(), m);
    tryChoose();
  }

  /** With promises from a majority, picks the value (docs §5.3) and starts phase 2. */
  private void tryChoose() {
    if (!Majority.reached(inst.promises.size(), voterCount())) {
      return;
    }
    RecoveryChoice.Result r = RecoveryChoice.choose(config.voters(), inst.promises.keySet(),
        round0Votes(), acceptedValues(), round0Proposers());
    Proposal value;
    if (r.kind() == RecoveryChoice.Kind.WAIT) {
      marks.hit("recovery.ambiguous-wait");
      return;
    } else if (r.kind() == RecoveryChoice.Kind.FREE) {
      value = union();
      marks.hit(value == null ? "recovery.free-nothing" : "recovery.free-union");
    } else {
      value = inst.known.get(Hash.parse(r.value()));
      marks.hit(r.kind() == RecoveryChoice.Kind.ACCEPTED ? "recovery.highest-accepted"
          : "H3.finish-might-be-committed");
    }
    if (value == null) {
      abandonCoordination("recovery.nothing-to-decide");
      return;
    }
    Ballot b = inst.myBallot;
    inst.chosen = value;
    inst.acceptedBy.clear();
    acceptLocally(b, value);
    inst.acceptedBy.add(self);
    for (String v : otherVoters()) {
      send(new Message.Accept(self, v, inst.length, inst.head, b, value));
    }
    inst.retransmitAtMs = now + settings.retransmitMs();
    if (Majority.reached(inst.acceptedBy.size(), voterCount())) {
      decide(value, "recovery.decided-alone");
    }
  }

  private void onAccept(Message.Accept m) {
    Ballot b = m.ballot();
    inst.seeBallot(b);
    if (!validValue(m.value())) {
      marks.hit("input.bad-accept");
      return;
    }
    inst.learn(m.value());
    if (!b.atLeast(inst.promised)) {
      send(new Message.Accepted(self, m.from(), inst.length, inst.head, b, false, inst.promised));
      return;
    }
    if (inst.myBallot != null && b.greaterThan(inst.myBallot)) {
      abandonCoordination("recovery.yield-to-higher-ballot");
    }
    acceptLocally(b, m.value());
    send(new Message.Accepted(self, m.from(), inst.length, inst.head, b, true, null));
    armRecoveryIfNeeded();
  }

  private void acceptLocally(Ballot b, Proposal value) {
    boolean same = b.equals(inst.acceptedBallot) && inst.acceptedValue != null
        && inst.acceptedValue.id().equals(value.id());
    // A coordinator's free choice is a new union value that nobody sent us: remember it, or a later
    // ballot of ours finds it as the highest accepted value, cannot look it up, and abandons every
    // round while no other node has a reason to recover (simulator seed 419: queued entries never
    // committed).
    inst.learn(value);
    if (b.greaterThan(inst.promised)) {
      inst.promised = b;
    }
    inst.acceptedBallot = b;
    inst.acceptedValue = value;
    if (!same) {
      fx.persist.add(new DurableRecord.AcceptRecord(inst.length, inst.head, b, value));
    }
  }

  private void onAccepted(Message.Accepted m) {
    inst.seeBallot(m.promised());
    if (inst.myBallot == null || !m.ballot().equals(inst.myBallot) || inst.chosen == null
        || !isVoter(m.from())) {
      return;
    }
    if (!m.ok()) {
      abandonCoordination("recovery.nack");
      return;
    }
    inst.acceptedBy.add(m.from());
    if (Majority.reached(inst.acceptedBy.size(), voterCount())) {
      decide(inst.chosen, "recovery.decided");
    }
  }

  private void abandonCoordination(String why) {
    marks.hit(why);
    inst.myBallot = null;
    inst.chosen = null;
    inst.promises.clear();
    inst.acceptedBy.clear();
    inst.recoveryAtMs = Math.min(inst.recoveryAtMs, now + backoffMs());
  }

  /**
   * The free choice (docs §5.3): every round-0 proposal known here, by proposer id, plus this node's
   * own queued entries, so that a collision still commits everyone's entries in one instance.
   */
  private Proposal union() {
    LinkedHashMap<Hash, Entry> entries = new LinkedHashMap<>();
    TreeMap<String, List<Proposal>> byProposer = new TreeMap<>();
    for (Map.Entry<Hash, String> e : inst.round0Proposer.entrySet()) {
      Proposal p = inst.known.get(e.getKey());
      if (p != null) {
        byProposer.computeIfAbsent(e.getValue(), k -> new ArrayList<>()).add(p);
      }
    }
    for (List<Proposal> ps : byProposer.values()) {
      ps.sort((a, b) -> a.id().compareTo(b.id()));
      for (Proposal p : ps) {
        for (Entry e : p.entries()) {
          entries.putIfAbsent(e.txid(), e);
        }
      }
    }
    for (Entry e : queue.values()) {
      if (entries.size() >= 2 * settings.batchEntriesMax()) {
        break;
      }
      if (forwarding.proposable(e.txid(), true)) {
        entries.putIfAbsent(e.txid(), e);
      }
    }
    entries.keySet().removeIf(log::contains);
    return entries.isEmpty() ? null : Proposal.of(self, new ArrayList<>(entries.values()));
  }

  private Map<String, String> round0Votes() {
    Map<String, String> out = new TreeMap<>();
    for (Message.Promise p : inst.promises.values()) {
      if (p.round0Vote() != null) {
        out.put(p.from(), p.round0Vote().id().hex());
      }
    }
    return out;
  }

  private Map<String, RecoveryChoice.AcceptedAt> acceptedValues() {
    Map<String, RecoveryChoice.AcceptedAt> out = new TreeMap<>();
    for (Message.Promise p : inst.promises.values()) {
      if (p.acceptedBallot() != null && p.acceptedValue() != null) {
        out.put(p.from(), new RecoveryChoice.AcceptedAt(p.acceptedBallot().round(),
            p.acceptedBallot().node(), p.acceptedValue().id().hex()));
      }
    }
    return out;
  }

  private Map<String, String> round0Proposers() {
    Map<String, String> out = new TreeMap<>();
    for (Map.Entry<Hash, String> e : inst.round0Proposer.entrySet()) {
      out.put(e.getKey().hex(), e.getValue());
    }
    return out;
  }

  // ---------------------------------------------------------------- deciding and moving the head

  /**
   * {@code value} is decided on the current head: append it and persist it. The node that decided
   * it (a round-0 proposer or a coordinator) tells every other member (seed 17a); a node that only
   * learned the decision from a {@code Commit} does not repeat it.
   */
  private void decide(Proposal value, String how) {
    marks.hit(how);
    long length = inst.length;
    Hash head = inst.head;
    List<LogEntry> batch = new ArrayList<>(value.entries().size());
    Hash prev = head;
    long index = length;
    for (Entry e : value.entries()) {
      LogEntry le = LogEntry.chain(++index, prev, e);
      batch.add(le);
      prev = le.hash();
    }
    if (!how.equals(LEARNED_FROM_COMMIT)) {
      // Before appendBatch: it may propose the next batch at once, and peers should see this
      // commit before that proposal (one transport keeps per-peer order).
      for (String p : members()) {
        send(new Message.Commit(self, p, length, head, value.id()));
      }
    }
    appendBatch(batch);
  }

  /** Appends a decided batch (from a decision or a catch-up) and moves to the next instance. */
  void appendBatch(List<LogEntry> batch) {
    long oldLength = log.length();
    log.appendBatch(batch);
    fx.persist.add(new DurableRecord.CommitRecord(batch));
    fx.committed.addAll(batch);
    for (LogEntry e : batch) {
      if (queue.remove(e.txid()) != null) {
        forwarding.committed(e.txid());
      }
      if (e.entry().origin().equals(self)) {
        clock.observe(e.entry().ts());
      }
      applyMembership(e);
    }
    inst = new Instance(log.length(), log.head());
    forwarding.onAppended(oldLength, log.length());
    replayEarly();
    reads.onAdvance();
    maybePropose();
  }

  /** H7: a committed membership entry changes the voters of every later instance. */
  private void applyMembership(LogEntry e) {
    if (e.index() <= config.version()) {
      // A joiner starts from the configuration it was given, made by an entry it has not fetched
      // yet (or a snapshot carries one): entries up to that one are already in it. Applied again,
      // each would be refused as stale and reported as a refused change, though the committed log
      // applied it (simulator, membership swarm seed 4: SystemApplied(ok=false) for index 1).
      return;
    }
    Membership.Result r = SystemEntries.applyTo(config, e);
    if (r == null) {
      return;
    }
    ClientEvent.SystemApplied applied =
        new ClientEvent.SystemApplied(e.txid(), e.index(), r.ok(), r.refusal());
    if (!r.ok()) {
      fx.client.add(applied);
      marks.hit("H7.membership-change-refused");
      return;
    }
    marks.hit("H7.membership-changed");
    boolean wasMember = config.get(self) != null;
    boolean wasVoter = isVoter();
    Membership before = config;
    config = r.membership();
    history.put(config.version(), config);
    for (String gone : before.others(self)) {
      if (config.get(gone) == null) {
        // Its last report from us: the removed node learns that we hold its removal and can
        // confirm it to its client (Confirmations); it hears nothing from us after this.
        send(new Message.Status(self, gone, log.length(), log.head(), false));
      }
    }
    confirmations.hold(applied, config);
    if (wasMember && config.get(self) == null) {
      marks.hit("H7.removed-self");
    }
    if (wasVoter && !isVoter() && !queue.isEmpty()) {
      // Only voters propose: a node demoted or removed would keep its queued entries forever,
      // neither committed nor refused (simulator, membership swarm seed 9: a removed node's two
      // entries pending for good). Some may still commit inside a value another node decides, so
      // their outcome is unknown here, as after a snapshot install.
      marks.hit("H7.queue-dropped-not-voter");
      fx.client.add(new ClientEvent.QueueDropped(new ArrayList<>(queue.keySet())));
      queue.clear();
    }
  }

  /**
   * Pre-checks a membership change submitted on this node against the current configuration (as
   * the state machine pre-checks client entries, seed 12a); true when it was refused. One change at
   * a time per node: a second waits until the first is decided.
   */
  private boolean refuseMembership(Input.Submit s) {
    Membership.Change c = SystemEntries.decodeMembership(s.payload());
    String refusal = c == null ? "not a well-formed membership change" : config.refusal(c);
    if (refusal == null) {
      for (Entry q : queue.values()) {
        if (SystemEntries.isSystem(q.payload())) {
          refusal = "another membership change from this node is still pending";
          break;
        }
      }
    }
    if (refusal != null) {
      fx.client.add(new ClientEvent.Refused(s.ref(), "MEMBERSHIP_CONFLICT", refusal));
      return true;
    }
    return false;
  }

  private void keepEarly(Message m) {
    if (early.size() >= EARLY_MAX) {
      early.pollFirst();
    }
    early.addLast(m);
  }

  private void replayEarly() {
    List<Message> ready = new ArrayList<>();
    for (Iterator<Message> it = early.iterator(); it.hasNext(); ) {
      Message m = it.next();
      if (m.length() < log.length()) {
        it.remove();
      } else if (m.length() == log.length()) {
        it.remove();
        ready.add(m);
      }
    }
    long at = log.length();
    for (Message m : ready) {
      if (log.length() != at) {
        break; // a replayed commit moved the head again; the rest is stale
      }
      if (m.head().equals(log.head())) {
        marks.hit("16.early-message-replayed");
        dispatchInstance(m);
      }
    }
  }

  // ---------------------------------------------------------------- timers

  private void armRecoveryIfNeeded() {
    boolean needed = inst.voted() || (inst.promised != null && !queue.isEmpty());
    if (needed && inst.recoveryAtMs == Long.MAX_VALUE && isVoter()) {
      inst.recoveryAtMs = now + recoveryDelayMs();
    }
  }

  private void retransmit() {
    inst.retransmitAtMs = Long.MAX_VALUE;
    if (inst.myBallot != null) {
      retransmitRecovery();
    } else if (inst.mine != null && inst.promised == null) {
      for (String v : otherVoters()) {
        if (!inst.grants.contains(v) && !inst.refusals.containsKey(v)) {
          send(new Message.Propose(self, v, inst.length, inst.head, inst.mine));
          inst.retransmitAtMs = now + settings.retransmitMs();
        }
      }
    }
  }

  private void retransmitRecovery() {
    Ballot b = inst.myBallot;
    for (String v : otherVoters()) {
      if (inst.chosen == null && !inst.promises.containsKey(v)) {
        send(new Message.Prepare(self, v, inst.length, inst.head, b));
      } else if (inst.chosen != null && !inst.acceptedBy.contains(v)) {
        send(new Message.Accept(self, v, inst.length, inst.head, b, inst.chosen));
      } else {
        continue;
      }
      inst.retransmitAtMs = now + settings.retransmitMs();
    }
  }

  long backoffMs() {
    long h = settings.headTimeoutMs();
    return (h / 2 + jitter(h / 2)) << backoffShift();
  }

  /** The head timeout with jitter, grown by {@link #backoffShift}. */
  private long recoveryDelayMs() {
    long h = settings.headTimeoutMs();
    return (h + jitter(h / 2)) << backoffShift();
  }

  /**
   * H4 (no livelock): every recovery this node already started on this instance doubles its next
   * wait, up to 2^{@value #BACKOFF_SHIFT_MAX}. With fixed waits, a head timeout shorter than a
   * recovery's two round trips let coordinators pre-empt each other forever, even on a healed
   * network (simulator seed 16: 5 voters, 100 ms timeout, 100 ms delays, ~500 recoveries per node
   * in 60 s without a decision). The count lives in the instance, so it resets when the head moves.
   */
  private int backoffShift() {
    return Math.min(inst.recoveries, BACKOFF_SHIFT_MAX);
  }

  long jitter(long bound) {
    return bound <= 0 ? 0 : random.nextLong(bound);
  }

  // ---------------------------------------------------------------- helpers

  /**
   * True when this node proposes, decides and coordinates on its instance (H7). Not while its
   * configuration was made by an entry its log does not hold yet: a joiner starts from the
   * configuration it was given, with an empty log, and so has no configuration for the instances
   * before it; below that version {@link #membershipAt} can only answer with it, and a snapshot it
   * takes there records it. A node that installed such a snapshot would count votes on those
   * earlier instances with a later voter set (simulator, membership swarm seed 196: a joiner at
   * configuration version 40 snapshotted length 4). Voting as an acceptor needs no voter set and
   * stays as it is: only the nodes that count must know who counts.
   */
  boolean isVoter() {
    return config.isVoter(self) && config.version() <= log.length();
  }

  boolean isVoter(String id) {
    return config.isVoter(id);
  }

  int voterCount() {
    return config.voters().size();
  }

  List<String> voterIds() {
    return config.voters();
  }

  /** Everyone this node talks to: every member of the configuration but itself. */
  List<String> members() {
    return config.others(self);
  }

  List<String> otherVoters() {
    List<String> out = new ArrayList<>();
    for (String v : config.voters()) {
      if (!v.equals(self)) {
        out.add(v);
      }
    }
    return out;
  }

  void send(Message m) {
    fx.send.add(m);
  }

  /** Input validation for a value from a peer: ids match content, and nothing in it is committed. */
  private boolean validValue(Proposal p) {
    if (!p.verify()) {
      return false;
    }
    java.util.HashSet<Hash> seen = new java.util.HashSet<>();
    for (Entry e : p.entries()) {
      if (!seen.add(e.txid()) || log.contains(e.txid())) {
        return false;
      }
    }
    return true;
  }

  private static Entry find(Proposal p, Hash txid) {
    for (Entry e : p.entries()) {
      if (e.txid().equals(txid)) {
        return e;
      }
    }
    return null;
  }

  /** The configuration after every membership entry of {@code log}, starting from {@code m}. */
  private static Membership replayMembership(Membership m, CommittedLog log) {
    for (long i = log.firstIndex(); i <= log.length(); i++) {
      Membership.Result r = SystemEntries.applyTo(m, log.get(i));
      if (r != null) {
        m = r.membership();
      }
    }
    return m;
  }

  /**
   * A new entry of this node's, its timestamp made durable in this step when it is above any
   * before (DurableRecord.ClockRecord): the entry leaves the node only in this or a later step.
   */
  private Entry stamp(long wallMs, byte[] payload, String idempotencyKey) {
    Entry e = clock.next(wallMs, payload, idempotencyKey, log::contains);
    if (e.ts() > durableClockTs) {
      durableClockTs = e.ts();
      fx.persist.add(new DurableRecord.ClockRecord(e.ts()));
    }
    return e;
  }

  private long highestOwnTs() {
    long max = 0;
    for (long i = log.firstIndex(); i <= log.length(); i++) {
      Entry e = log.get(i).entry();
      if (e.origin().equals(self)) {
        max = Math.max(max, e.ts());
      }
    }
    for (Proposal p : new Proposal[] {inst.vote, inst.acceptedValue}) {
      if (p != null) {
        for (Entry e : p.entries()) {
          if (e.origin().equals(self)) {
            max = Math.max(max, e.ts());
          }
        }
      }
    }
    return max;
  }

  private void checkInvariants() {
    Check.state(inst.length == log.length() && inst.head.equals(log.head()),
        "instance (%d) is not at the head (%d)", inst.length, log.length());
    Check.state(inst.acceptedBallot == null || inst.promised != null
        && inst.acceptedBallot.compareTo(inst.promised) <= 0, "accepted above promised");
    Check.state(inst.mine == null || inst.mine == inst.vote, "own proposal is not our vote");
    Check.state(inst.myBallot == null || inst.myBallot.equals(inst.promised)
        || inst.chosen == null, "coordinating below our promise");
  }
}
