package raftsimple.core;

import raftsimple.core.msg.Membership;
import java.util.ArrayDeque;
import java.util.Iterator;
import raftsimple.core.msg.ClientEvent;
import raftsimple.core.quorum.Majority;

/**
 * H7: a membership change is confirmed ({@link ClientEvent.SystemApplied} with {@code ok}) only
 * once a majority of the voters of the configuration it made hold it, as Raft commits a new
 * configuration on a majority of that configuration.
 *
 * <p>Why: a change is decided by the voters of the configuration before it, and only its decider
 * may know it is decided. If that node leaves right after the change (it removed or demoted
 * itself, and the operator, told the change applied, stops it), the remaining voters may be unable
 * to finish the instance it decided: with voters {a, b}, b decides "remove b" with a's accept, its
 * commit to a is lost, and a — still under {a, b} on that instance — can never gather a majority
 * again (simulator, membership swarm seed 1968: the cluster stalled for good). Confirming only
 * once a majority of the new voters hold the change means a removed node can be stopped as soon
 * as the change is confirmed anywhere. A removed node confirms its own removal only from the one
 * last report each remaining member sends it when it applies the removal (Node.applyMembership);
 * if those are lost its client times out and asks another member. Confirmations are in memory: a
 * restarted node's client connections are gone anyway.
 *
 * <p>Two witnesses: the new voters' reported durable positions ({@code Status}, which claims only
 * what is durable at its sender), or this node holding the batch decided
 * after the change's batch — that instance was decided by a majority of the new voters, each
 * holding the change. The second is needed when the configuration moves on before reports arrive:
 * a voter removed next stops reporting, and is ignored once removed (seed 3593).
 */
final class Confirmations {
  private static final int HELD_MAX = 1_024;

  /** {@code batchEnd}: the end of the batch that holds the change (an instance boundary). */
  private record Held(ClientEvent.SystemApplied event, Membership made, long batchEnd) {}

  private final Node node;
  private final ArrayDeque<Held> held = new ArrayDeque<>();

  Confirmations(Node node) {
    this.node = node;
  }

  /** The change {@code event} made configuration {@code made}: confirm it when a majority has it. */
  void hold(ClientEvent.SystemApplied event, Membership made) {
    if (held.size() >= HELD_MAX) {
      held.pollFirst(); // its client has long timed out
    }
    held.addLast(new Held(event, made, node.log.length()));
    release();
    if (!held.isEmpty() && held.peekLast().event == event) {
      node.marks.hit("H7.confirm-waits-for-new-majority");
    }
  }

  /** Releases every held confirmation whose change a majority of its new voters now hold. */
  void release() {
    for (Iterator<Held> it = held.iterator(); it.hasNext(); ) {
      Held h = it.next();
      if (heldByMajority(h)) {
        it.remove();
        node.pub.client(h.batchEnd, h.event);
      }
    }
  }

  /**
   * What {@code voter} reported holding durably. Positions carried by other messages are released
   * positions, which a crash can take back (membership swarm seed 303308: a member's report of
   * the removal leaked before its commit record was durable, the removed node stopped, and the
   * member, restarted without the removal, waited for it under the old voters for good).
   */
  /**
   * The second witness: a batch decided after the change's batch. Only a released one counts: a
   * single voter appends its own decision before its vote is durable and releases it only once it
   * is (R4), so a batch merely in the log may be one a crash takes back (membership seed 976: the
   * sole remaining voter confirmed a removal on such a batch, crashed, and restarted without
   * either). A released batch was decided on durable votes of a majority of the new voters, each
   * durable only with its commit record for the change.
   */
  private boolean nextBatchWitnessed(Held h) {
    long length = node.settings.has(Planted.H7_WITNESS_NOT_DURABLE) ? node.log.length()
        : node.pub.releasedLength();
    return length > h.batchEnd;
  }

  private long ownLength() {
    return node.settings.has(Planted.H7_WITNESS_NOT_DURABLE) ? node.log.length()
        : node.pub.durableLength();
  }

  private long reportedLength(String voter) {
    if (node.settings.has(Planted.H7_WITNESS_NOT_DURABLE)) {
      PeerTable.Position p = node.peers.get(voter);
      return p == null ? -1 : p.length();
    }
    return node.peers.durableLength(voter);
  }

  private boolean heldByMajority(Held h) {
    if (nextBatchWitnessed(h)) {
      return true;
    }
    long index = h.event.index();
    int holders = 0;
    for (String v : h.made.voters()) {
      boolean has = v.equals(node.self) ? ownLength() >= index : reportedLength(v) >= index;
      holders += has ? 1 : 0;
    }
    return Majority.reached(holders, h.made.voters().size());
  }
}
