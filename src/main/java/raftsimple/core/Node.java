package raftsimple.core;

import raftsimple.core.msg.Membership;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import raftsimple.chain.Entry;
import raftsimple.chain.Hash;
import raftsimple.chain.LogEntry;
import raftsimple.core.msg.ClientEvent;
import raftsimple.core.msg.DurableRecord;
import raftsimple.core.msg.Effects;
import raftsimple.core.msg.Input;
import raftsimple.core.msg.Message;
import raftsimple.core.msg.Proposal;
import raftsimple.core.quorum.Majority;

/**
 * One node's replication protocol (docs/PROTOCOL.md): a deterministic state machine with no I/O, no
 * threads and no clock of its own. The shell feeds it {@link Input}s with {@link #step} and carries
 * out the returned {@link Effects}; it reports what became durable with {@link Input.Persisted}
 * and ticks it at {@link #nextDeadlineMs}.
 *
 * <p>Each head is one consensus instance ({@link Instance}). The parts, each in its own class:
 * {@link Round0} (the brief's path: propose, vote, decide), {@link Recovery} (ballot rounds for a
 * stalled or split instance), {@link Publication} (what may be revealed, and when),
 * {@link ClientQueue} (this node's entries and txid clock), {@link Configurations} (who votes),
 * {@link Forwarding} (entries handed to the instance's proposer), {@link CatchUp},
 * {@link ReadRounds}, {@link Confirmations}, {@link EarlyMessages}, {@link PeerTable} and
 * {@link InstanceTimes}. They keep their own state and return results; this class is the only one
 * that moves the head (decides, appends, installs snapshots).
 */
public final class Node {
  private static final String LEARNED_FROM_COMMIT = "18.commit-received";
  private static final int BACKOFF_SHIFT_MAX = 4;
  /** Instances after a restart in which this node casts no round-0 vote and proposes nothing (R5). */
  static final int RESTART_WINDOW = 2;

  /** How a decision was reached, which decides when it may be revealed (§6). */
  private enum Decided {
    /** Round 0 on our own proposal: released once durable, or on durable grants of a majority of the others (R4). */
    OWN_ROUND0,
    /** By our recovery ballot: released once durable. */
    OWN_RECOVERY,
    /** Learned from a node that released it: released at once. */
    LEARNED
  }

  final NodeSettings settings;
  final String self;
  private final SplittableRandom random;
  final Marks marks = new Marks();
  final PeerTable peers = new PeerTable();
  final Publication pub;
  final ClientQueue queue;
  private final Configurations configs;
  private final EarlyMessages early = new EarlyMessages();
  final CatchUp catchUp;
  final Forwarding forwarding = new Forwarding(this);
  final ReadRounds reads;
  private final Confirmations confirmations = new Confirmations(this);
  private final InstanceTimes times = new InstanceTimes();
  final Round0 round0 = new Round0(this);
  final Recovery recovery = new Recovery(this);
  CommittedLog log;
  /** Length of the newest durable snapshot (0: none); lagging peers below the log are sent it. */
  long snapshotLength;
  Instance inst;
  long now;
  /** Instances left in the restart window (R5); 0 after a first start. */
  private int restartWindowLeft;
  /**
   * The node that proposed the batch this head ends (or, when that batch held none of its own
   * entries, the origin of its last entry): the designated proposer of the next instance. Null
   * when unknown (the head was fetched, replayed or installed).
   */
  private String lastProposer;
  private long nextHeartbeatMs;
  /**
   * This node's log length at the previous two heartbeats (newest first), the bar a learner must
   * reach to count as caught up; {@code Long.MAX_VALUE} until there is such a history.
   */
  private final long[] lengthAtHeartbeats = {Long.MAX_VALUE, Long.MAX_VALUE};
  Effects fx;

  /**
   * A node rebuilt from {@code recovered}. {@code firstStart}: the shell created the data dir in
   * this very process (so this node never sent anything before); otherwise it restarted, and it
   * stays out of round 0 for {@value #RESTART_WINDOW} instances (R5).
   */
  public Node(NodeSettings settings, DurableState recovered, long seed, boolean firstStart) {
    this.settings = settings;
    this.self = settings.nodeId();
    this.random = new SplittableRandom(seed);
    this.log = recovered.log;
    this.configs = new Configurations(recovered.membership != null ? recovered.membership
        : Configurations.replay(DurableState.initialMembership(settings), recovered.log));
    this.snapshotLength = recovered.log.baseLength();
    this.pub = new Publication(log.length(), log.head(), settings.has(Planted.RELEASE_ON_DECISION)
        || settings.has(Planted.OWN_VOTE_COUNTED_EARLY), marks);
    this.inst = new Instance(log.length(), log.head(), 0);
    inst.vote = recovered.vote;
    inst.promised = recovered.promised;
    inst.acceptedBallot = recovered.acceptedBallot;
    inst.acceptedValue = recovered.acceptedValue;
    inst.seeBallot(inst.promised);
    if (inst.vote != null) {
      // A vote of ours, even for our own proposal, is only reported: a restarted proposer does
      // not go on collecting votes (R5); recovery finishes the instance.
      inst.learnRound0(inst.vote);
    }
    if (inst.acceptedValue != null) {
      inst.learn(inst.acceptedValue);
    }
    this.restartWindowLeft = firstStart || settings.has(Planted.NO_RESTART_WINDOW) ? 0 : RESTART_WINDOW;
    this.queue = new ClientQueue(self, Math.max(recovered.clockFloor, highestOwnTs()));
    this.catchUp = new CatchUp(this);
    this.reads = new ReadRounds(this, random.nextLong() >>> 1);
  }

  /**
   * For the core's own tests, which rebuild nodes from disks where every record is durable at once:
   * a node with nothing on disk is taking its first start. A real shell knows whether it created
   * the data dir and says so with the other constructor (a crash can leave a disk that looks new).
   */
  Node(NodeSettings settings, DurableState recovered, long seed) {
    this(settings, recovered, seed, recovered.log.length() == 0 && recovered.vote == null
        && recovered.promised == null && recovered.acceptedValue == null && recovered.clockFloor == 0);
  }

  /** Feeds one input at the current time and returns what the shell must do. */
  public Effects step(Input in) {
    return step(in instanceof Input.Tick t ? t.nowMs() : now, in);
  }

  /**
   * Feeds one input at monotonic time {@code nowMs} (never earlier than the last) and returns
   * what the shell must do. Timers that are due run in the same step.
   */
  public Effects step(long nowMs, Input in) {
    fx = new Effects();
    pub.startStep(fx);
    now = Math.max(now, nowMs);
    long released = pub.releasedLength();
    long durable = pub.durableLength();
    dispatch(in);
    if (now >= nextDeadlineMs()) {
      onTimers();
    }
    armRecoveryIfNeeded();
    if (pub.releasedLength() != released || pub.durableLength() != durable) {
      reads.onAdvance();
      confirmations.release();
    }
    checkInvariants();
    Effects out = fx;
    fx = null;
    return out;
  }

  private void dispatch(Input in) {
    if (in instanceof Input.Submit s) {
      onSubmit(s);
    } else if (in instanceof Input.Receive r) {
      onReceive(r.message());
    } else if (in instanceof Input.Persisted p) {
      onPersisted(p.records());
    } else if (in instanceof Input.ReadBarrier b) {
      reads.onBarrier(b.ref());
    } else if (in instanceof Input.PeerDown d) {
      onPeerDown(d.peer());
    } else if (in instanceof Input.PeerUp u) {
      peers.markUp(u.peer());
    } else if (in instanceof Input.SnapshotTaken t) {
      onSnapshotTaken(t);
    } else if (in instanceof Input.SnapshotInstalled i) {
      onSnapshotInstalled(i);
    }
  }

  // ---------------------------------------------------------------- queries for the shell and tests

  /**
   * The log prefix whose commit records are durable here (at most {@link #length()}): what a crash
   * cannot take back. Under the fast path the log may run ahead of it by a batch or two (R4).
   */
  public long durableLength() {
    return Math.min(pub.durableLength(), log.length());
  }

    public long length() {
    return log.length();
  }

  public Hash head() {
    return log.head();
  }

  /** The log length that others, clients and the state machine may see (docs §6). */
  public long releasedLength() {
    return pub.releasedLength();
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
    return configs.current().voters();
  }

  /** The configuration in effect after the first {@code length} entries (length ≥ the log's base). */
  public Membership membershipAt(long length) {
    return configs.at(length);
  }

  /** The configuration at this node's head (docs §11). */
  public Membership membership() {
    return configs.current();
  }

  /** Number of this node's client entries waiting to commit. */
  public int queued() {
    return queue.size();
  }

  /**
   * When this node next has something to do without a new input (monotonic ms): the shell ticks
   * it then (and need not before). An idle node's only deadline is its heartbeat.
   */
  public long nextDeadlineMs() {
    long at = Math.min(nextHeartbeatMs, Math.min(inst.retransmitAtMs, inst.recoveryAtMs));
    at = Math.min(at, Math.min(catchUp.deadlineMs(), reads.deadlineMs()));
    at = Math.min(at, forwarding.deadlineMs());
    if (!queue.isEmpty() || forwarding.carrying()) {
      // Work waits on conditions that age (a peer ahead or down, a proposer silent): look again.
      at = Math.min(at, now + settings.retransmitMs());
    }
    return at;
  }

  /** What this node knows of entry {@code txid} (the brief's pending / accepted / committed). */
  public EntryStatus status(Hash txid) {
    long index = log.indexOf(txid);
    if (index > 0 && index <= pub.releasedLength()) {
      return new EntryStatus(EntryStatus.State.COMMITTED, index, log.get(index).entry().origin());
    }
    if (index > 0) {
      return new EntryStatus(EntryStatus.State.ACCEPTED, -1, log.get(index).entry().origin());
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
    if (configs.current().get(self) == null) {
      return false; // removed from the cluster
    }
    int fresh = isVoter() ? 1 : 0;
    for (Map.Entry<String, PeerTable.Position> e : peers.all().entrySet()) {
      boolean recent = now - e.getValue().heardAtMs() <= 2 * settings.headTimeoutMs();
      if (recent && e.getValue().length() > pub.releasedLength()) {
        return false;
      }
      if (recent && isVoter(e.getKey())) {
        fresh++;
      }
    }
    return Majority.reached(fresh, voterCount());
  }

  // ---------------------------------------------------------------- inputs

  private void onTimers() {
    boolean heartbeat = now >= nextHeartbeatMs;
    if (heartbeat) {
      nextHeartbeatMs = now + settings.heartbeatMs(); // also for a removed node: no timer spins
    }
    if (heartbeat && configs.current().get(self) != null) {
      promoteCaughtUpLearner();
      for (String p : members()) {
        pub.send(0, status(p));
      }
    }
    armRecoveryIfNeeded();
    if (now >= inst.retransmitAtMs) {
      inst.retransmitAtMs = Long.MAX_VALUE;
      if (inst.myBallot != null) {
        recovery.retransmit();
      } else {
        round0.retransmit();
      }
    }
    if (now >= inst.recoveryAtMs) {
      inst.recoveryAtMs = Long.MAX_VALUE;
      if (isVoter() && (inst.voted() || hasWork()) && !catchUp.isBehind()) {
        marks.hit("16a.head-timeout-recovery");
        startRecovery(false);
      }
    }
    catchUp.onTick();
    reads.onTick();
    forwardOrPropose();
  }

  private void onSubmit(Input.Submit s) {
    if (!isVoter()) {
      Membership.Member me = configs.current().get(self);
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
    Entry e = queue.stamp(s.wallMs(), s.payload(), s.idempotencyKey(), log::contains, pub::persist);
    fx.client.add(new ClientEvent.Assigned(s.ref(), e.txid()));
    forwardOrPropose();
  }

  private void onPersisted(long records) {
    pub.onPersisted(records);
    queue.persisted(records);
    Proposal d = round0.ownVoteDurable();
    if (d != null) {
      decide(d, "R0.decided", Decided.OWN_ROUND0);
    }
    forwardOrPropose();
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
      onFetchReply(r);
    } else if (m instanceof Message.ReadQuery q) {
      pub.send(0, new Message.ReadReply(self, q.from(), pub.releasedLength(), pub.releasedHead(),
          q.readRound(), votedBeyondReleased()));
    } else if (m instanceof Message.ReadReply r) {
      reads.onReply(r);
    } else if (m instanceof Message.Forward f) {
      peers.heard(f.from(), f.length(), f.head(), now);
      forwarding.onForward(f);
      forwardOrPropose();
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
      onFetchReply(r);
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
    if (m instanceof Message.Status st && st.length() < pub.releasedLength()) {
      marks.hit("H7.status-to-non-member");
      pub.send(0, status(st.from()));
      return true;
    } else if (m instanceof Message.Fetch f) {
      marks.hit("H7.fetch-from-non-member");
      catchUp.serve(f);
      return true;
    }
    return false;
  }

  private void onFetchReply(Message.FetchReply r) {
    peers.heard(r.from(), r.length(), r.head(), now);
    List<List<LogEntry>> batches = catchUp.onFetchReply(r);
    for (List<LogEntry> batch : batches) {
      if (batch.get(0).index() != log.length() + 1) {
        break; // an early message replayed on the way moved the head past it
      }
      lastProposer = null;
      appendBatch(batch, Decided.LEARNED, null, -1, Set.of());
    }
    catchUp.afterFetched(r.from(), !batches.isEmpty());
  }

  /** Delivers a consensus message to the instance it is about, or deals with the mismatch (seed 14). */
  private void routeInstanceMessage(Message m) {
    boolean request = m instanceof Message.Propose || m instanceof Message.Prepare
        || m instanceof Message.Accept;
    if (!(m instanceof Message.Commit)) {
      peers.heard(m.from(), m.length(), m.head(), now);
    }
    if (m.length() < log.length()) {
      if (m instanceof Message.Vote v && v.granted() && !v.from().equals(self)
          && membershipAt(v.length()).isVoter(v.from())) {
        // A durable grant for a decision of ours that arrived after it: it may release it (R4).
        pub.lateGrant(v.proposalId(), v.from());
      } else if (request) {
        // The sender is behind: tell it where we are so it catches up (H6). The answer reveals
        // our head, so it waits until that may be revealed.
        marks.hit("14.sender-behind");
        pub.send(log.length(), new Message.Status(self, m.from(), log.length(), log.head(),
            inst.voted()));
      }
      return;
    }
    if (m.length() > log.length()) {
      // We are behind (seed 16): keep the message for when we reach its head, and catch up.
      marks.hit("16.head-mismatch-behind");
      early.keep(m);
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
    Proposal decided = null;
    String how = null;
    Decided kind = null;
    if (m instanceof Message.Propose p) {
      round0.onPropose(p);
      // Our entries ride in the proposal's proposer's next one (H5); the forward leaves now, the
      // vote behind its record, so the voter whose vote decides is never late.
      forwardOrPropose();
    } else if (m instanceof Message.Vote v) {
      decided = round0.onVote(v);
      how = "R0.decided";
      kind = Decided.OWN_ROUND0;
    } else if (m instanceof Message.Commit c) {
      onCommit(c);
    } else if (m instanceof Message.Prepare p) {
      recovery.onPrepare(p);
    } else if (m instanceof Message.Promise p) {
      decided = recovery.onPromise(p);
      how = "recovery.decided";
      kind = Decided.OWN_RECOVERY;
    } else if (m instanceof Message.Accept a) {
      recovery.onAccept(a);
    } else if (m instanceof Message.Accepted a) {
      decided = recovery.onAccepted(a);
      how = "recovery.decided";
      kind = Decided.OWN_RECOVERY;
    }
    if (decided != null) {
      decide(decided, how, kind);
    }
  }

  /**
   * A position report to {@code to}: the longest prefix whose commit records are durable here,
   * not the released one (H7, docs §11). It leaves at once, never behind an fsync, and a crash
   * cannot take back what it claims, so a membership change's confirmation may count it.
   */
  private Message.Status status(String to) {
    if (settings.has(Planted.H7_WITNESS_NOT_DURABLE)) {
      return new Message.Status(self, to, pub.releasedLength(), pub.releasedHead(), votedBeyondReleased());
    }
    long length = Math.min(pub.durableLength(), pub.releasedLength());
    return new Message.Status(self, to, length, headAt(length), votedBeyondReleased());
  }

  /** The hash of the entry at {@code length} (the base hash at the snapshot's length). */
  private Hash headAt(long length) {
    LogEntry e = log.get(length);
    return e != null ? e.hash() : log.baseHash();
  }

  private void onStatus(Message.Status s) {
    peers.heard(s.from(), s.length(), s.head(), now);
    peers.reportedDurable(s.from(), s.length());
    if (s.length() > log.length()) {
      catchUp.behind(s.from(), true);
    } else if (s.length() == log.length() && !s.head().equals(log.head())) {
      marks.hit("14.divergent-head");
    }
    confirmations.release();
  }

  private void onCommit(Message.Commit m) {
    Proposal v = inst.known.get(m.valueId());
    if (v != null) {
      decide(v, LEARNED_FROM_COMMIT, Decided.LEARNED);
    } else {
      marks.hit("18.commit-unknown-value-fetch");
      catchUp.behind(m.from(), true);
      catchUp.fetchNow(m.from());
    }
  }

  /**
   * The transport lost {@code peer} (docs §15). If it proposed the value this node holds on an
   * undecided instance, or is the proposer its forwarded entries wait for, there is no point in
   * waiting for a timeout: the recovery coordinator (the lowest-id live voter other than it)
   * starts a ballot at once, the others stand by with a short backoff; entries forwarded to it go
   * to the next proposer. All of this is safe whoever is really down.
   */
  private void onPeerDown(String peer) {
    if (!peers.markDown(peer, now)) {
      return;
    }
    marks.hit("15.peer-down");
    forwarding.peerDown(peer);
    String proposer = stalledProposer();
    if (!isVoter() || !peer.equals(proposer) || catchUp.isBehind()) {
      forwardOrPropose();
      return;
    }
    if (recoveryRank(peer) == 0) {
      marks.hit("15.recover-on-peer-down");
      startRecovery(true);
    } else {
      inst.recoveryAtMs = Math.min(inst.recoveryAtMs, now + recoveryDelayMs(peer));
    }
  }

  /** The proposer of the round-0 value this node votes for here and that is undecided, or null. */
  private String stalledProposer() {
    if (inst.vote != null && !inst.vote.proposer().equals(self)) {
      return inst.vote.proposer();
    }
    return null;
  }

  // ---------------------------------------------------------------- proposing and forwarding

  /**
   * The designated proposer of the instance at this head (docs §8): the node that proposed the
   * batch before it, while it is a live voter; else the lowest-id live voter (this node counts as
   * live). Every node on the same head with the same view of liveness names the same one, so under
   * load one node proposes and the others forward to it: no collisions, no election. Nothing safe
   * depends on it.
   */
  String designated() {
    if (lastProposer != null && isVoter(lastProposer) && live(lastProposer)) {
      return lastProposer;
    }
    for (String v : configs.current().voters()) {
      if (live(v)) {
        return v;
      }
    }
    return self;
  }

  /** True for this node, and for a peer heard from within three heartbeats and not reported down. */
  boolean live(String id) {
    return id.equals(self) || peers.isLive(id, now, 3 * settings.heartbeatMs());
  }

  /** Proposes if this node is the instance's proposer; otherwise hands its entries to it (H5). */
  private void forwardOrPropose() {
    if (!isVoter() || (queue.isEmpty() && !forwarding.carrying())) {
      return;
    }
    String d = designated();
    boolean ownVote = inst.vote != null && inst.vote.proposer().equals(self);
    if (!d.equals(self) && !queue.isEmpty() && !ownVote && !forwarding.carrierStalled()) {
      forwarding.forward(queue.entries(), inst.vote != null ? inst.vote.proposer() : d);
    }
    maybePropose(d);
  }

  /** Proposes queued entries on the head if this node may (seed 13, 15, 18 "process the queue"). */
  private void maybePropose(String designated) {
    // A lone voter decides alone and sends no proposal: its restart window protects no one (R5).
    if (!isVoter() || inst.active() || catchUp.isBehind() || (inRestartWindow() && voterCount() > 1)) {
      return;
    }
    // Pipelining one instance deep (§5.6): at most the batch just decided may still be written.
    if (pub.undurableBatches() > 1) {
      return;
    }
    // Others forwarding to us is their view that we propose here; a carrier that stalls them
    // lets them propose themselves.
    boolean mine = designated.equals(self) || forwarding.carrying();
    if (!mine && !forwarding.carrierStalled()) {
      return;
    }
    List<Entry> batch = Round0.batch(this);
    if (batch.isEmpty()) {
      return;
    }
    if (!mine) {
      marks.hit("H5.carrier-stalled-propose");
    }
    Proposal alone = round0.propose(batch);
    if (alone != null) {
      decide(alone, "R0.decided-alone", Decided.OWN_ROUND0);
    }
  }

  private boolean hasWork() {
    return !queue.isEmpty() || forwarding.carrying();
  }

  // ---------------------------------------------------------------- deciding and moving the head

  /**
   * {@code value} is decided on the current head: append it and persist it. The node that decided
   * it (a round-0 proposer or a coordinator) tells every other member (seed 17a) once the decision
   * may be revealed; a node that only learned the decision from a {@code Commit} does not repeat it.
   */
  private void decide(Proposal value, String how, Decided kind) {
    marks.hit(how);
    long length = inst.length;
    Hash head = inst.head;
    if (inst.activeSinceMs >= 0 && inst.recoveries == 0 && inst.promised == null) {
      // Round-0 instances only: a recovered instance was a stall, and counting it would stretch
      // the delay that is meant to cut the next stall short.
      times.record(now - inst.activeSinceMs);
    }
    List<LogEntry> batch = new ArrayList<>(value.entries().size());
    Hash prev = head;
    long index = length;
    for (Entry e : value.entries()) {
      LogEntry le = LogEntry.chain(++index, prev, e);
      batch.add(le);
      prev = le.hash();
    }
    if (kind != Decided.LEARNED) {
      // Before appendBatch: it may propose the next batch at once, and peers should see this
      // commit before that proposal (the transports keep per-peer order).
      for (String p : members()) {
        pub.send(index, new Message.Commit(self, p, length, head, value.id()));
      }
    }
    lastProposer = proposerAfter(value);
    int othersNeeded = kind == Decided.OWN_ROUND0 && voterCount() > 1 ? Majority.of(voterCount()) : -1;
    appendBatch(batch, kind, value.id(), othersNeeded,
        kind == Decided.OWN_ROUND0 ? Round0.othersGranted(inst, self) : Set.of());
  }

  /**
   * Who proposes after {@code value} (docs §8): its proposer if the value holds entries of its own
   * (it has clients), else the origin of its last entry (the proposer only carried others'
   * entries: hand over to one of the nodes that has clients).
   */
  private static String proposerAfter(Proposal value) {
    for (Entry e : value.entries()) {
      if (e.origin().equals(value.proposer())) {
        return value.proposer();
      }
    }
    return value.entries().get(value.entries().size() - 1).origin();
  }

  /** Appends a decided batch (from a decision or a catch-up) and moves to the next instance. */
  private void appendBatch(List<LogEntry> batch, Decided kind, Hash valueId, int othersNeeded,
      Set<String> othersGranted) {
    log.appendBatch(batch);
    long seq = pub.persist(new DurableRecord.CommitRecord(batch));
    pub.appended(batch, seq, kind == Decided.LEARNED, valueId, othersNeeded, othersGranted);
    long end = log.length();
    for (LogEntry e : batch) {
      if (queue.remove(e.txid())) {
        forwarding.forget(e.txid());
      }
      if (e.entry().origin().equals(self)) {
        queue.observeOwn(e.entry().ts());
      }
      applyMembership(e, end);
    }
    inst = new Instance(log.length(), log.head(), now);
    if (restartWindowLeft > 0) {
      restartWindowLeft--;
    }
    forwarding.onAppended(designated().equals(self));
    for (Message m : early.takeAt(log.length())) {
      if (log.length() != inst.length || !m.head().equals(log.head())) {
        break; // a replayed commit moved the head again; the rest is stale
      }
      marks.hit("16.early-message-replayed");
      dispatchInstance(m);
    }
    confirmations.release();
    forwardOrPropose();
  }

  /** H7: a committed membership entry changes the voters of every later instance. */
  private void applyMembership(LogEntry e, long batchEnd) {
    boolean wasMember = configs.current().get(self) != null;
    boolean wasVoter = isVoter();
    Configurations.Applied a = configs.apply(e);
    if (a == null) {
      return;
    }
    ClientEvent.SystemApplied applied = new ClientEvent.SystemApplied(e.txid(), e.index(),
        a.result().ok(), a.result().refusal());
    if (!a.changed()) {
      pub.client(batchEnd, applied);
      marks.hit("H7.membership-change-refused");
      return;
    }
    marks.hit("H7.membership-changed");
    for (String gone : Configurations.removed(a, self)) {
      // Its last report from us: the removed node learns that we hold its removal and can
      // confirm it to its client (Confirmations); it hears nothing from us after this.
      // Sent behind the records that make it true (H7: a witness is durable at its sender).
      Message.Status last = new Message.Status(self, gone, log.length(), log.head(), false);
      if (settings.has(Planted.H7_WITNESS_NOT_DURABLE)) {
        pub.send(batchEnd, last);
      } else {
        pub.sendAfterPersist(last);
      }
    }
    confirmations.hold(applied, configs.current());
    if (wasMember && configs.current().get(self) == null) {
      marks.hit("H7.removed-self");
    }
    if (wasVoter && !isVoter() && !queue.isEmpty()) {
      // Only voters propose: a node demoted or removed would keep its queued entries forever,
      // neither committed nor refused (simulator, membership swarm seed 9: a removed node's two
      // entries pending for good). Some may still commit inside a value another node decides, so
      // their outcome is unknown here, as after a snapshot install.
      marks.hit("H7.queue-dropped-not-voter");
      dropQueue();
    }
  }

  private void dropQueue() {
    List<Hash> dropped = queue.drop();
    dropped.forEach(forwarding::forget);
    fx.client.add(new ClientEvent.QueueDropped(dropped));
  }

  /**
   * Pre-checks a membership change submitted on this node against the current configuration (as
   * the state machine pre-checks client entries, seed 12a); true when it was refused. One change at
   * a time per node: a second waits until the first is decided.
   */
  private boolean refuseMembership(Input.Submit s) {
    Membership.Change c = SystemEntries.decodeMembership(s.payload());
    String refusal = c == null ? "not a well-formed membership change" : configs.current().refusal(c);
    if (refusal == null && queue.holdsSystemEntry()) {
      refusal = "another membership change from this node is still pending";
    }
    if (refusal != null) {
      fx.client.add(new ClientEvent.Refused(s.ref(), "MEMBERSHIP_CONFLICT", refusal));
      return true;
    }
    return false;
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
    lengthAtHeartbeats[0] = pub.releasedLength();
    if (!isVoter() || !lowestLiveVoter() || queue.holdsSystemEntry()) {
      return;
    }
    Membership config = configs.current();
    for (Membership.Member m : config.members().values()) {
      PeerTable.Position p = peers.get(m.id());
      boolean caughtUp = p != null && now - p.heardAtMs() <= 3 * settings.heartbeatMs()
          && p.length() >= bar;
      if (m.role() == Membership.Role.LEARNER && caughtUp) {
        Membership.Change c = new Membership.Change(Membership.Change.Op.PROMOTE, m.id(), null, null,
            config.version());
        queue.stamp(0, SystemEntries.encode(c), null, log::contains, pub::persist);
        marks.hit("H7.promote-learner");
        return;
      }
    }
  }

  private boolean lowestLiveVoter() {
    for (String v : configs.current().voters()) {
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
    if (t.length() <= snapshotLength || t.length() > pub.releasedLength()) {
      return;
    }
    snapshotLength = t.length();
    log.compactTo(log.boundaryAtOrBelow(Math.max(log.baseLength(), t.length() - t.retainEntries())));
    configs.compactTo(log.baseLength());
    marks.hit("snapshot.taken");
  }

  private void onSnapshotInstalled(Input.SnapshotInstalled s) {
    if (s.length() <= log.length()) {
      return; // caught up meanwhile; the snapshot brings nothing new
    }
    marks.hit("H6.snapshot-installed");
    log = new CommittedLog(s.length(), s.head());
    if (!configs.installed(s.membership())) {
      marks.hit("H7.kept-newer-configuration");
    }
    snapshotLength = s.length();
    pub.snapshotInstalled(s.length(), s.head());
    if (!queue.isEmpty()) {
      // Some of these may be inside the snapshot, which has no txids: proposing them again could
      // commit them twice, so their outcome is left to the clients (503, poll by txid).
      dropQueue();
    }
    forwarding.clear();
    lastProposer = null;
    // The snapshot may end where the second instance of the restart window starts (R5).
    restartWindowLeft = restartWindowLeft == RESTART_WINDOW ? 1 : 0;
    inst = new Instance(log.length(), log.head(), now);
    catchUp.snapshotInstalled();
    for (Message m : early.takeAt(log.length())) {
      if (log.length() == inst.length && m.head().equals(log.head())) {
        dispatchInstance(m);
      }
    }
  }

  // ---------------------------------------------------------------- recovery timers

  private void startRecovery(boolean early) {
    Proposal alone = recovery.start(early);
    if (alone != null) {
      decide(alone, "recovery.decided", Decided.OWN_RECOVERY);
    }
  }

  private void armRecoveryIfNeeded() {
    boolean needed = inst.voted() || (inst.promised != null && hasWork())
        || (inRestartWindow() && hasWork());
    if (needed && inst.recoveryAtMs == Long.MAX_VALUE && isVoter()) {
      inst.recoveryAtMs = now + recoveryDelayMs(stalledProposer());
    }
  }

  /** The adaptive recovery delay before rank and backoff (docs §5.3). */
  long recoveryDelayBaseMs() {
    return times.recoveryDelayMs(settings.recoveryFloorMs(), settings.headTimeoutMs());
  }

  /**
   * How long this node waits before recovering an instance whose proposer {@code suspect} (may be
   * null) seems stalled: the adaptive base, one more half base per live voter ranked before this
   * one (so normally exactly one coordinator runs), random jitter, doubled per recovery this node
   * already started here (H4, no livelock).
   */
  long recoveryDelayMs(String suspect) {
    long base = recoveryDelayBaseMs();
    long delay = base + recoveryRank(suspect) * (base / 2) + jitter(base / 2);
    return delay << backoffShift();
  }

  /** This node's place among the live voters other than {@code suspect}, lowest id first. */
  private int recoveryRank(String suspect) {
    int rank = 0;
    for (String v : configs.current().voters()) {
      if (v.equals(self)) {
        return rank;
      }
      if (!v.equals(suspect) && live(v)) {
        rank++;
      }
    }
    return rank;
  }

  long backoffMs() {
    long h = recoveryDelayBaseMs();
    return (h / 2 + jitter(h / 2)) << backoffShift();
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

  // ---------------------------------------------------------------- helpers for the parts

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
    Membership c = configs.current();
    return c.isVoter(self) && c.version() <= log.length();
  }

  boolean isVoter(String id) {
    return configs.current().isVoter(id);
  }

  int voterCount() {
    return configs.current().voters().size();
  }

  List<String> voterIds() {
    return configs.current().voters();
  }

  /** Everyone this node talks to: every member of the configuration but itself. */
  List<String> members() {
    return configs.current().others(self);
  }

  List<String> otherVoters() {
    List<String> out = new ArrayList<>();
    for (String v : configs.current().voters()) {
      if (!v.equals(self)) {
        out.add(v);
      }
    }
    return out;
  }

  /** True within the restart window (R5): no round-0 votes or proposals, promises say "restarted". */
  boolean inRestartWindow() {
    return restartWindowLeft > 0;
  }

  /**
   * What "voted" means in a position report (§9): an undecided vote or accepted value at the head,
   * or decided batches not released yet (as if the vote were still held).
   */
  boolean votedBeyondReleased() {
    return inst.voted() || log.length() > pub.releasedLength();
  }

  /** Input validation for a value from a peer: ids match content, and nothing in it is committed. */
  boolean validValue(Proposal p) {
    if (!p.verify()) {
      return false;
    }
    HashSet<Hash> seen = new HashSet<>();
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
    Check.state(pub.releasedLength() <= log.length(), "released %d beyond the log %d",
        pub.releasedLength(), log.length());
    // Every timer that fired was re-armed or cleared: a deadline in the past would make the shell
    // tick this node in a loop.
    Check.state(nextDeadlineMs() > now, "next deadline %d is not after now %d", nextDeadlineMs(), now);
  }

}
