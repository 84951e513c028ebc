package raftsimple.sim;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import raftsimple.chain.Hash;
import raftsimple.core.msg.Membership;
import raftsimple.core.msg.Membership.Change;
import raftsimple.core.msg.Membership.Role;
import raftsimple.core.SystemEntries;
import raftsimple.core.msg.ClientEvent;
import raftsimple.core.msg.Input;

/**
 * The cluster's operator (H7): during the fault phase it changes the membership concurrently with
 * client writes and faults, the way an operator and joining nodes use {@code POST /cluster/members}
 * and {@code DELETE /cluster/members/{id}} (log/MembershipRequests). Every change is a system entry
 * submitted to a voter with the version that voter currently has as its base.
 *
 * <ul>
 *   <li><b>join</b>: a brand-new node (a fresh id) is ADDed as a learner or read-only member. When
 *       the voter it asked reports the change applied, the node starts with an empty disk plus a
 *       configuration record of {@code membershipAt(index)} from that voter, as log/Joiner does. If
 *       the outcome is unknown (the voter crashed, the request timed out, its queue was dropped),
 *       it asks again later: a voter that already lists it hands over its configuration;
 *   <li><b>leave</b>: REMOVE of a voter, learner or read-only member; once the removal is applied,
 *       the removed node's process may be stopped for good ("decommissioned");
 *   <li><b>promote / demote</b> read-only members and voters;
 *   <li><b>concurrent pairs</b>: two changes at once, at two voters, on the same base (one of them
 *       is refused, as a committed no-op or by the pre-check) and <b>stale bases</b>.
 * </ul>
 * In the liveness phase it makes no new changes but finishes joins: a node the committed log lists
 * as a member is started. Refs of its submits are {@code OPERATOR_REF} and up, apart from clients'.
 */
final class SimOperator {
  static final long OPERATOR_REF = 1L << 40;

  interface Host {
    void step(SimNode node, Input in);

    Checkers checkers();

    long wallMs(SimNode node);

    /** Creates and boots a joining node with an empty disk and configuration {@code m}. */
    void startJoiner(String id, Membership m);

    /** Stops a removed node's process for good. */
    void decommission(SimNode node);

    /** The node with id {@code id} if it was ever created, else null. */
    SimNode node(String id);

    List<SimNode> nodes();

    void trace(String node, String kind, String detail);
  }

  private enum JoinState { ASKING, RETRY }

  private static final class Op {
    final long ref;
    final Change change;
    final SimNode at;
    final int incarnation;
    Hash txid;
    boolean done;

    Op(long ref, Change change, SimNode at) {
      this.ref = ref;
      this.change = change;
      this.at = at;
      this.incarnation = at.incarnation;
    }
  }

  private final SplittableRandom random;
  private final SwarmOptions options;
  private final EventQueue events;
  private final Host host;
  private final Map<Long, Op> byRef = new TreeMap<>();
  private final Map<Hash, Op> byTxid = new HashMap<>();
  /** Joins not finished yet: the joiner has no process, and the outcome of its ADD is pending. */
  private final TreeMap<String, JoinState> joins = new TreeMap<>();
  private final Map<String, Role> joinRole = new HashMap<>();
  private int nextIdNumber;
  private long nextRef = OPERATOR_REF;
  private boolean liveness;
  long changes;

  SimOperator(SplittableRandom random, SwarmOptions options, EventQueue events, Host host) {
    this.random = random;
    this.options = options;
    this.events = events;
    this.host = host;
    this.nextIdNumber = options.voters + options.readOnlyAtStart + 1;
  }

  void livenessMode() {
    liveness = true;
  }

  /** One operator action at a random voter (fault phase). */
  void act() {
    SimNode at = randomUpVoter(null);
    if (at == null) {
      return;
    }
    Membership m = at.node().membership();
    int roll = random.nextInt(100);
    if (roll < 35) {
      join(at, m);
    } else if (roll < 60) {
      remove(at, m);
    } else if (roll < 72) {
      change(at, m, Change.Op.PROMOTE, Role.READ_ONLY);
    } else if (roll < 82) {
      change(at, m, Change.Op.DEMOTE, Role.VOTER);
    } else if (roll < 95) {
      concurrentPair(at, m);
    } else {
      Change c = new Change(Change.Op.REMOVE, pickMember(m, null), null, null,
          Math.max(0, m.version() - 1 - random.nextInt(3)));
      submit(at, c);
    }
  }

  private void join(SimNode at, Membership m) {
    if (nextIdNumber > options.idCount() || m.members().size() + joins.size() >= options.membersMax) {
      remove(at, m); // full: make room instead
      return;
    }
    String id = "n" + nextIdNumber++;
    Role role = random.nextInt(10) < 7 ? Role.LEARNER : Role.READ_ONLY;
    joins.put(id, JoinState.ASKING);
    joinRole.put(id, role);
    host.trace(id, "join", "asks " + at.id + " to add it as " + role);
    submit(at, new Change(Change.Op.ADD, id, "sim://" + id, role, m.version()));
  }

  private void remove(SimNode at, Membership m) {
    String id = pickMember(m, null);
    if (m.isVoter(id) && m.voters().size() == 1) {
      return;
    }
    submit(at, new Change(Change.Op.REMOVE, id, null, null, m.version()));
  }

  private void change(SimNode at, Membership m, Change.Op op, Role from) {
    String id = pickMember(m, from);
    if (id != null && !(op == Change.Op.DEMOTE && m.voters().size() == 1)) {
      submit(at, new Change(op, id, null, null, m.version()));
    }
  }

  /** Two changes on the same base at two voters: at most one of them can apply. */
  private void concurrentPair(SimNode at, Membership m) {
    SimNode other = randomUpVoter(at);
    if (other == null) {
      return;
    }
    remove(at, m);
    Membership o = other.node().membership();
    if (o.members().size() + joins.size() < options.membersMax && nextIdNumber <= options.idCount()) {
      join(other, o);
    } else {
      change(other, o, Change.Op.PROMOTE, Role.READ_ONLY);
    }
  }

  /** A random member's id (with role {@code role} if not null), or null. */
  private String pickMember(Membership m, Role role) {
    List<String> ids = new ArrayList<>();
    for (Membership.Member x : m.members().values()) {
      if (role == null || x.role() == role) {
        ids.add(x.id());
      }
    }
    return ids.isEmpty() ? null : ids.get(random.nextInt(ids.size()));
  }

  private SimNode randomUpVoter(SimNode except) {
    List<SimNode> voters = new ArrayList<>();
    for (SimNode n : host.nodes()) {
      if (n.up() && n != except && n.node().membership().isVoter(n.id)) {
        voters.add(n);
      }
    }
    return voters.isEmpty() ? null : voters.get(random.nextInt(voters.size()));
  }

  private void submit(SimNode at, Change c) {
    if (c.id() == null) {
      return;
    }
    byte[] payload = SystemEntries.encode(c);
    Op op = new Op(nextRef++, c, at);
    byRef.put(op.ref, op);
    changes++;
    host.checkers().submitted(at.id, new String(payload, StandardCharsets.UTF_8));
    host.trace(at.id, "member", c.op() + " " + c.id() + " base=" + c.base());
    host.step(at, new Input.Submit(op.ref, host.wallMs(at), payload, null));
    events.after(options.clientTimeoutMs, () -> {
      if (!liveness) {
        finish(op, null, -1);
      }
    });
  }

  // ---------------------------------------------------------------- outcomes

  void onClientEvent(SimNode node, ClientEvent e) {
    if (e instanceof ClientEvent.Assigned a && byRef.containsKey(a.ref())) {
      Op op = byRef.get(a.ref());
      op.txid = a.txid();
      byTxid.put(a.txid(), op);
    } else if (e instanceof ClientEvent.Refused r && byRef.containsKey(r.ref())) {
      finish(byRef.get(r.ref()), false, -1);
    } else if (e instanceof ClientEvent.SystemApplied s) {
      Op op = byTxid.get(s.txid());
      if (op != null && op.at == node && op.incarnation == node.incarnation) {
        finish(op, s.ok(), s.index());
      }
    } else if (e instanceof ClientEvent.QueueDropped d) {
      for (Hash txid : d.txids()) {
        Op op = byTxid.get(txid);
        if (op != null && op.at == node) {
          finish(op, null, -1);
        }
      }
    }
  }

  /**
   * Liveness phase: {@code node} is not a member any more; requests waiting there will never be
   * answered (a removed node that never learned its removal keeps them queued).
   */
  void abandonAt(SimNode node) {
    crashed(node);
  }

  /** {@code node} crashed: the operator's requests to it have an unknown outcome. */
  void crashed(SimNode node) {
    for (Op op : new ArrayList<>(byRef.values())) {
      if (op.at == node) {
        finish(op, null, -1);
      }
    }
  }

  /** {@code ok}: applied, refused (false) or unknown (null); {@code index} when applied. */
  private void finish(Op op, Boolean ok, long index) {
    if (op.done) {
      return;
    }
    op.done = true;
    byRef.remove(op.ref);
    if (op.txid != null) {
      byTxid.remove(op.txid);
    }
    Change c = op.change;
    if (c.op() == Change.Op.ADD && joins.containsKey(c.id())) {
      if (Boolean.TRUE.equals(ok)) {
        joins.remove(c.id());
        host.startJoiner(c.id(), op.at.node().membershipAt(index));
      } else if (ok == null) {
        joins.put(c.id(), JoinState.RETRY);
        events.after(1 + random.nextLong(options.headTimeoutMs * 2), () -> retryJoin(c.id()));
      } else {
        joins.remove(c.id()); // refused: this join failed, as log/Joiner fails on a 4xx
      }
    } else if (c.op() == Change.Op.REMOVE && ok == null && !liveness) {
      // A removed node never confirms its own removal (core/Confirmations): check a voter.
      events.after(1 + random.nextLong(2 * options.headTimeoutMs), () -> confirmRemoval(c));
    } else if (c.op() == Change.Op.REMOVE && Boolean.TRUE.equals(ok)) {
      maybeDecommission(c.id());
    }
  }

  /**
   * The outcome of removal {@code c} is unknown: a voter whose durable configuration is newer than
   * the change's base and no longer lists the node confirms it (ids are never reused, so the node
   * cannot have come back). A voter that merely lags may not list it because it never saw it join.
   */
  private void confirmRemoval(Change c) {
    SimNode at = randomUpVoter(null);
    // The configuration of the voter's durable prefix, not of its log: under the fast path a voter
    // applies a change it received before its commit record is durable, and a crash can take that
    // back (membership seed 976: the removed node was stopped on the word of a voter that then
    // restarted without the removal, under the old voters, and waited for the stopped node).
    Membership m = at == null ? null : at.node().membershipAt(at.node().durableLength());
    if (!liveness && m != null && m.version() > c.base() && m.get(c.id()) == null) {
      maybeDecommission(c.id());
    }
  }

  /** The removal of {@code id} is confirmed: maybe stop its process for good, a little later. */
  private void maybeDecommission(String id) {
    SimNode gone = host.node(id);
    if (gone == null || liveness || random.nextDouble() >= options.decommissionRate) {
      return;
    }
    events.after(random.nextLong(2 * options.headTimeoutMs + 1), () -> {
      if (!liveness) {
        host.decommission(gone);
      }
    });
  }

  /**
   * A joiner whose ADD has an unknown outcome asks a voter again: one that already lists it hands
   * over its current configuration (log/MembershipRequests: "already so"); otherwise it is added.
   */
  private void retryJoin(String id) {
    if (joins.get(id) != JoinState.RETRY) {
      return;
    }
    SimNode at = randomUpVoter(null);
    if (at == null) {
      events.after(1 + options.headTimeoutMs, () -> retryJoin(id));
      return;
    }
    Membership m = at.node().membership();
    if (m.get(id) != null) {
      joins.remove(id);
      host.startJoiner(id, m);
    } else if (liveness) {
      joins.remove(id); // not added, and no new changes once faults stop: the join is abandoned
    } else {
      joins.put(id, JoinState.ASKING);
      submit(at, new Change(Change.Op.ADD, id, "sim://" + id, joinRole.get(id), m.version()));
    }
  }

  /**
   * Liveness phase, polled: a member of the committed configuration that has no process yet (its
   * join's answer was lost) is started, as its joiner would keep asking.
   */
  void finishJoins(Membership committed) {
    for (Membership.Member x : committed.members().values()) {
      if (host.node(x.id()) == null && joins.get(x.id()) != JoinState.ASKING) {
        joins.put(x.id(), JoinState.RETRY);
        retryJoin(x.id());
      }
    }
    for (String id : new ArrayList<>(joins.keySet())) {
      if (joins.get(id) == JoinState.RETRY) {
        retryJoin(id);
      }
    }
  }

  /** True when no change is in flight and no join is unfinished. */
  boolean idle() {
    return byRef.isEmpty() && joins.isEmpty();
  }

  String pending() {
    StringBuilder b = new StringBuilder();
    for (Op op : byRef.values()) {
      b.append(' ').append(op.change.op()).append(' ').append(op.change.id()).append('@')
          .append(op.at.id);
    }
    return b.append(" joins=").append(joins).toString();
  }
}
