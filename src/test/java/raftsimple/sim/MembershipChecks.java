package raftsimple.sim;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import raftsimple.chain.Hash;
import raftsimple.chain.LogEntry;
import raftsimple.core.msg.Membership;
import raftsimple.core.Node;
import raftsimple.core.SystemEntries;
import raftsimple.core.msg.ClientEvent;
import raftsimple.core.msg.Message;

/**
 * The H7 invariants (docs/SIMULATION.md). The checker folds every membership entry of the global
 * chain, in order, into the one configuration timeline the committed log defines, and checks:
 *
 * <ul>
 *   <li><b>membership</b>: a node at head length {@code L} has the configuration of the global
 *       timeline at {@code L} (unless its configuration is newer than its log: a joiner still
 *       catching up, which must then not take part in any instance); a snapshot records the
 *       configuration at its length;
 *   <li><b>voters only</b>: every consensus message (propose, vote, commit, prepare, promise,
 *       accept, accepted) about instance {@code L} comes from a voter of the configuration at
 *       {@code L}: a learner or read-only member never votes, and a removed node never votes or
 *       proposes once it holds its removal;
 *   <li><b>one change at a time</b>: each applied change makes or unmakes at most one voter, and
 *       at least one voter is left;
 *   <li><b>refused changes change nothing</b>: a {@code SystemApplied} event reports the outcome the
 *       timeline computed for that index (a refused entry left the configuration as it was);
 *   <li><b>dropped entries stay dropped</b>: a node never proposes again an entry of a queue it
 *       dropped ({@code QueueDropped}) when it installed a snapshot.
 * </ul>
 */
final class MembershipChecks {
  /** Configurations of the global timeline, by the length from which they apply. */
  private final TreeMap<Long, Membership> timeline = new TreeMap<>();
  /** Index of every system entry of the global chain → whether it changed the configuration. */
  private final Map<Long, Boolean> systemOutcome = new HashMap<>();
  /** Every node that was ever a voter: the core may write a PROMOTE entry on its own. */
  private final Set<String> everVoters = new HashSet<>();
  /** Per node: txids it dropped from its queue. */
  private final Map<String, Set<Hash>> dropped = new HashMap<>();

  MembershipChecks(Membership founding) {
    timeline.put(0L, founding);
    everVoters.addAll(founding.voters());
  }

  Membership at(long length) {
    return timeline.floorEntry(length).getValue();
  }

  Membership current() {
    return timeline.lastEntry().getValue();
  }

  /**
   * Validity for system entries: submitted by the operator (checked by the caller), or a PROMOTE the
   * core wrote itself (Node.promoteCaughtUpLearner: no URL, no role) on a node that was a voter.
   */
  boolean selfMade(LogEntry e) {
    Membership.Change c = SystemEntries.decodeMembership(e.entry().payload());
    return c != null && c.op() == Membership.Change.Op.PROMOTE && c.url() == null && c.role() == null
        && everVoters.contains(e.entry().origin());
  }

  /** Entry {@code e} joined the global chain (in index order). */
  void appended(LogEntry e) {
    Membership before = current();
    Membership.Result r = SystemEntries.applyTo(before, e);
    if (r == null) {
      return;
    }
    systemOutcome.put(e.index(), r.ok());
    if (!r.ok()) {
      return;
    }
    Membership after = r.membership();
    int changed = 0;
    for (String v : before.voters()) {
      changed += after.isVoter(v) ? 0 : 1;
    }
    for (String v : after.voters()) {
      changed += before.isVoter(v) ? 0 : 1;
    }
    if (changed > 1 || after.voters().isEmpty() || after.version() != e.index()) {
      throw new SimFailure("membership", "entry " + e.index() + " changed " + changed
          + " voters at once: " + before + " -> " + after);
    }
    everVoters.addAll(after.voters());
    timeline.put(e.index(), after);
  }

  /** After a step: {@code node}'s configuration at its head is the timeline's (when known). */
  void checkNode(String id, Node node, long chainLength) {
    Membership m = node.membership();
    long length = node.length();
    if (length > chainLength || m.version() > length) {
      return; // not durable anywhere yet, or a joiner's configuration ahead of its log
    }
    Membership expected = at(length);
    if (!m.equals(expected)) {
      throw new SimFailure("membership", id + " at length " + length + " has " + m
          + " but the committed log defines " + expected);
    }
  }

  /**
   * A snapshot records the configuration at its length, or, when taken by a node whose
   * configuration is ahead of its log (a joiner catching up), that later committed configuration:
   * a node that installs it then counts no votes until its log reaches it (Node.isVoter).
   */
  /**
   * Every instance boundary a node's durable log passes ({@code length}, already in the global
   * chain): the node's configuration there is the timeline's, unless its configuration there was
   * made by a later entry (a joiner's, ahead of its log; it counts no votes there).
   */
  void checkAt(String id, Node node, long length) {
    Membership m = node.membershipAt(length);
    if (m.version() <= length && !m.equals(at(length))) {
      throw new SimFailure("membership", id + " has " + m + " at length " + length
          + " but the committed log defines " + at(length));
    }
  }

  void snapshotTaken(String id, SimSnapshot s, long chainLength) {
    long v = s.membership().version();
    Membership expected = v > s.length() && v <= chainLength ? at(v) : at(s.length());
    if (s.length() <= chainLength && !s.membership().equals(expected)) {
      throw new SimFailure("membership", id + " took a " + s + " recording " + s.membership()
          + " but the committed log defines " + at(s.length()) + " at that length");
    }
  }

  /**
   * A step's messages, at the node that produced them: it proposes, decides (sends commit) and
   * coordinates (prepare, accept) only under a configuration its log has reached, i.e. one that
   * applies to that instance, never one from a later entry it does not hold yet (Node.isVoter).
   */
  void produced(String id, Node node, java.util.List<Message> sent) {
    for (Message m : sent) {
      boolean counts = m instanceof Message.Propose || m instanceof Message.Commit
          || m instanceof Message.Prepare || m instanceof Message.Accept;
      if (counts && node.membershipAt(m.length()).version() > m.length()) {
        throw new SimFailure("membership", id + " counts votes on instance " + m.length()
            + " under " + node.membershipAt(m.length()) + ", made by a later entry: "
            + TraceFormat.message(m));
      }
    }
  }

  /** A released message: consensus messages must come from a voter of their instance. */
  void sent(Message m, long chainLength, Hash headAtLength) {
    boolean consensus = m instanceof Message.Propose || m instanceof Message.Vote
        || m instanceof Message.Commit || m instanceof Message.Prepare
        || m instanceof Message.Promise || m instanceof Message.Accept
        || m instanceof Message.Accepted;
    if (consensus && m.length() <= chainLength && headAtLength.equals(m.head())
        && !at(m.length()).isVoter(m.from())) {
      throw new SimFailure("membership", m.from() + " took part in instance " + m.length()
          + " but is not a voter there (" + at(m.length()) + "): " + TraceFormat.message(m));
    }
    if (m instanceof Message.Propose p && p.proposal().proposer().equals(m.from())) {
      Set<Hash> gone = dropped.get(m.from());
      for (var e : p.proposal().entries()) {
        if (gone != null && gone.contains(e.txid())) {
          throw new SimFailure("queue-dropped", m.from() + " proposed " + e.txid().shortHex()
              + " again after dropping it from its queue");
        }
      }
    }
  }

  /** A released client event about membership or a dropped queue. */
  void clientEvent(String id, ClientEvent e, long chainLength) {
    if (e instanceof ClientEvent.QueueDropped d) {
      dropped.computeIfAbsent(id, k -> new HashSet<>()).addAll(d.txids());
    } else if (e instanceof ClientEvent.SystemApplied s && s.index() <= chainLength) {
      Boolean ok = systemOutcome.get(s.index());
      if (ok == null || ok != s.ok()) {
        throw new SimFailure("membership", id + " reported the system entry at " + s.index()
            + (s.ok() ? " applied" : " refused (" + s.reason() + ")") + " but the committed log "
            + (ok == null ? "has no system entry there" : ok ? "applies it" : "refuses it"));
      }
    }
  }
}
