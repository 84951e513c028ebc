package raftsimple.core;

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
 * rounds are never mistaken for fresh ones.
 */
final class ReadRounds {
  private record Parked(long target, long deadlineMs, List<Long> refs) {}

  private final Node node;
  private long round;
  private List<Long> inRound = new ArrayList<>();
  private final Map<String, Long> answers = new TreeMap<>();
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
      node.fx.client.add(new ClientEvent.ReadReady(ref, node.log.length()));
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
    if (node.isVoter()) {
      answers.put(node.self, node.log.length() + (node.inst.voted() ? 1 : 0));
    }
    for (String v : node.voterIds()) {
      if (!v.equals(node.self)) {
        node.send(new Message.ReadQuery(node.self, v, node.log.length(), node.log.head(), round));
      }
    }
    roundDeadlineMs = node.now + node.settings.readTimeoutMs();
    resendAtMs = node.now + node.settings.retransmitMs();
    finishIfMajority();
  }

  void onReply(Message.ReadReply r) {
    node.peers.heard(r.from(), r.length(), r.head(), node.now);
    if (r.readRound() != round || inRound.isEmpty() || !node.isVoter(r.from())) {
      return;
    }
    answers.put(r.from(), r.length() + (r.voted() ? 1 : 0));
    finishIfMajority();
  }

  private void finishIfMajority() {
    if (!Majority.reached(answers.size(), node.voterCount())) {
      return;
    }
    long target = 0;
    for (long t : answers.values()) {
      target = Math.max(target, t);
    }
    parked.add(new Parked(target, roundDeadlineMs, inRound));
    inRound = new ArrayList<>();
    onAdvance();
    if (!next.isEmpty()) {
      startRound();
    }
  }

  /** The log grew: release the reads whose target it reached. */
  void onAdvance() {
    for (int i = parked.size() - 1; i >= 0; i--) {
      Parked p = parked.get(i);
      if (node.log.length() >= p.target) {
        parked.remove(i);
        for (long ref : p.refs) {
          // Report the whole local length, not the target: a voter still voting on instance L
          // answers L + 1, but that instance may decide a batch L+1..L+k, and an acknowledged
          // entry can be any of them. The log only ever grows by whole batches, so its length
          // here covers the batch; a shell serving "once the log reaches target" could stop at
          // L + 1 mid-batch (simulator seed 3, linearizable-read).
          node.fx.client.add(new ClientEvent.ReadReady(ref, node.log.length()));
        }
      }
    }
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
      for (String v : node.voterIds()) {
        if (!v.equals(node.self) && !answers.containsKey(v)) {
          node.send(new Message.ReadQuery(node.self, v, node.log.length(), node.log.head(), round));
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
      node.fx.client.add(new ClientEvent.ReadFailed(ref, why));
    }
  }
}
