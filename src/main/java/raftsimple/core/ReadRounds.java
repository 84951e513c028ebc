package raftsimple.core;

import raftsimple.core.msg.Membership;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import raftsimple.core.msg.ClientEvent;
import raftsimple.core.msg.Message;
import raftsimple.core.quorum.Majority;

/**
 * Linearizable-read barriers (docs/PROTOCOL.md §9). A round asks every voter for its committed
 * length and whether it holds an undecided vote at its head; with answers from a majority,
 * {@code target = max(length + (voted ? 1 : 0))}. An entry acknowledged before the read began was
 * voted for (or accepted) by a majority, which meets the answering majority in some voter that has
 * either committed past it or still votes on its instance, so the local log reaching {@code target}
 * contains it. Reads that arrive while a round is out wait for the next one: answers to a round may
 * predate them. Round ids start at a random value so that answers to a previous incarnation's
 * rounds are never mistaken for fresh ones. Positions here are released ones (§6): a read never
 * shows a decision that may not be revealed yet, and a voter whose log runs ahead of what it may
 * reveal answers "voted", as if it still held its vote.
 */
final class ReadRounds {
  /** Reads whose round found {@code target}, answered by a majority of {@code config}'s voters. */
  private record Parked(long target, long roundLength, Membership config, long deadlineMs,
      List<Long> refs) {}

  private final Node node;
  private long round;
  private List<Long> inRound = new ArrayList<>();
  private final Map<String, Long> answers = new TreeMap<>();
  /** The configuration at this node's head when the round started: whose answers count. */
  private Membership roundConfig;
  private long roundLength;
  private long roundDeadlineMs;
  private long resendAtMs;
  private List<Long> next = new ArrayList<>();
  private final List<Parked> parked = new ArrayList<>();

  ReadRounds(Node node, long firstRound) {
    this.node = node;
    this.round = firstRound;
  }

  void onBarrier(long ref) {
    if (node.isVoter() && node.voterCount() == 1) {
      node.pub.client(0, new ClientEvent.ReadReady(ref, node.pub.releasedLength()));
      return;
    }
    next.add(ref);
    if (inRound.isEmpty()) {
      startRound();
    }
  }

  private void startRound() {
    round++;
    inRound = next;
    next = new ArrayList<>();
    answers.clear();
    roundConfig = node.membership();
    roundLength = node.pub.releasedLength();
    if (node.isVoter()) {
      answers.put(node.self, node.pub.releasedLength() + (node.votedBeyondReleased() ? 1 : 0));
    }
    for (String v : roundConfig.voters()) {
      if (!v.equals(node.self)) {
        node.pub.send(0, new Message.ReadQuery(node.self, v, node.pub.releasedLength(),
              node.pub.releasedHead(), round));
      }
    }
    roundDeadlineMs = node.now + node.settings.readTimeoutMs();
    resendAtMs = node.now + node.settings.retransmitMs();
    finishIfMajority();
  }

  void onReply(Message.ReadReply r) {
    node.peers.heard(r.from(), r.length(), r.head(), node.now);
    if (r.readRound() != round || inRound.isEmpty() || !roundConfig.isVoter(r.from())) {
      return;
    }
    answers.put(r.from(), r.length() + (r.voted() ? 1 : 0));
    finishIfMajority();
  }

  private void finishIfMajority() {
    if (!Majority.reached(answers.size(), roundConfig.voters().size())) {
      return;
    }
    long target = 0;
    for (long t : answers.values()) {
      target = Math.max(target, t);
    }
    parked.add(new Parked(target, roundLength, roundConfig, roundDeadlineMs, inRound));
    inRound = new ArrayList<>();
    onAdvance();
    if (!next.isEmpty()) {
      startRound();
    }
  }

  /** The log grew: release the reads whose target it reached, or ask again (H7, below). */
  void onAdvance() {
    boolean again = false;
    for (int i = parked.size() - 1; i >= 0; i--) {
      Parked p = parked.get(i);
      long released = node.pub.releasedLength();
      if (released >= p.target && !countedTheRightVoters(p)) {
        parked.remove(i);
        next.addAll(p.refs);
        again = true;
      } else if (released >= p.target) {
        parked.remove(i);
        for (long ref : p.refs) {
          // Report the whole local length, not the target: a voter still voting on instance L
          // answers L + 1, but that instance may decide a batch L+1..L+k, and an acknowledged
          // entry can be any of them. The log only ever grows by whole batches, so its length
          // here covers the batch; a shell serving "once the log reaches target" could stop at
          // L + 1 mid-batch (simulator seed 3, linearizable-read).
          node.pub.client(0, new ClientEvent.ReadReady(ref, node.pub.releasedLength()));
        }
      }
    }
    if (again && inRound.isEmpty()) {
      startRound();
    }
  }

  /**
   * H7: the argument above needs the answering majority to be one of the voters of the instance at
   * {@code max(target, roundLength)}: that instance was decided (if the read could miss an entry)
   * before the read began, by a majority of its voters, one of whom answered. A node behind a
   * membership change counted a stale voter set instead, whose majority can be removed nodes that
   * lag as far behind (simulator, membership swarm seed 460: a joiner counted two removed nodes of
   * its old configuration and read at 195 after 196 was acknowledged). So once the log has reached
   * the target, the read is only released if the configuration there is the one the round counted
   * (made by an entry the log holds); otherwise it takes a new round under the newer one.
   */
  private boolean countedTheRightVoters(Parked p) {
    long at = Math.max(p.target, p.roundLength);
    Membership m = node.membershipAt(at);
    boolean same = m.version() <= at && m.equals(p.config);
    if (!same) {
      node.marks.hit("H7.read-config-changed");
    }
    return same;
  }

  /** When {@link #onTick} has something to do next (Long.MAX_VALUE: nothing). */
  long deadlineMs() {
    long at = Long.MAX_VALUE;
    if (!inRound.isEmpty()) {
      at = Math.min(roundDeadlineMs, resendAtMs);
    }
    for (Parked p : parked) {
      at = Math.min(at, p.deadlineMs);
    }
    return at;
  }

  void onTick() {
    if (!inRound.isEmpty() && node.now >= roundDeadlineMs) {
      fail(inRound, "no majority of voters answered the read barrier in time");
      inRound = new ArrayList<>();
      if (!next.isEmpty()) {
        startRound();
      }
    } else if (!inRound.isEmpty() && node.now >= resendAtMs) {
      resendAtMs = node.now + node.settings.retransmitMs();
      for (String v : roundConfig.voters()) {
        if (!v.equals(node.self) && !answers.containsKey(v)) {
          node.pub.send(0, new Message.ReadQuery(node.self, v, node.pub.releasedLength(),
              node.pub.releasedHead(), round));
        }
      }
    }
    for (int i = parked.size() - 1; i >= 0; i--) {
      if (node.now >= parked.get(i).deadlineMs) {
        fail(parked.remove(i).refs, "the log did not reach the read's index in time");
      }
    }
  }

  private void fail(List<Long> refs, String why) {
    for (long ref : refs) {
      node.pub.client(0, new ClientEvent.ReadFailed(ref, why));
    }
  }
}
