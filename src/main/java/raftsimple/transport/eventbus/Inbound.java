package raftsimple.transport.eventbus;

import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import raftsimple.core.msg.Message;
import raftsimple.transport.WireCodec;
import raftsimple.transport.WireFormatException;

/**
 * Decides what to do with one event-bus message that arrived at this node's peer address: the
 * checks in order are the cluster header ({@link ClusterIdentity#HEADER_CLUSTER}), the body (a
 * {@link Buffer} holding a {@link WireCodec} envelope; decoding validates every field, txid and
 * value id), and the sender (the envelope's {@code from} must be a member: a configured peer, or a
 * node the configuration added later; former members stay, so a removed node can still learn of
 * its removal, docs/PROTOCOL.md §11). Messages addressed to another node are dropped silently: a
 * sender may batch only its own messages to us, so that only happens with a buggy peer. Pure, so it
 * is tested without a cluster; confined to the transport's event loop.
 */
final class Inbound {
  /** Why a message was refused; {@code code} is the failure code replied to the sender. */
  enum Refusal {
    WRONG_CLUSTER(409),
    MALFORMED(400),
    UNKNOWN_SENDER(403);

    final int code;

    Refusal(int code) {
      this.code = code;
    }
  }

  /**
   * The outcome: {@code refusal} null means accepted, with {@code messages} (possibly empty) to
   * hand to the log verticle; otherwise {@code reason} says why, and {@code from} is the claimed
   * sender when it could be read.
   */
  record Verdict(Refusal refusal, String from, String reason, List<Message> messages) {
    static Verdict refused(Refusal r, String from, String reason) {
      return new Verdict(r, from, reason, List.of());
    }
  }

  private final String self;
  private final String clusterId;
  private final Set<String> peers;

  Inbound(String self, String clusterId, Set<String> peers) {
    this.self = self;
    this.clusterId = clusterId;
    this.peers = new TreeSet<>(peers);
  }

  /** A member the configuration added: its envelopes are taken from now on. */
  void addPeer(String id) {
    peers.add(id);
  }

  Verdict judge(String clusterHeader, Object body) {
    if (!clusterId.equals(clusterHeader)) {
      return Verdict.refused(Refusal.WRONG_CLUSTER, null, "cluster header " + clusterHeader
          + " is not this node's cluster " + clusterId + " (the nodes list different voters)");
    }
    if (!(body instanceof Buffer buffer)) {
      return Verdict.refused(Refusal.MALFORMED, null, "body is "
          + (body == null ? "empty" : "a " + body.getClass().getSimpleName()) + ", not a Buffer");
    }
    WireCodec.Envelope env;
    try {
      env = WireCodec.decode(buffer.getBytes());
    } catch (WireFormatException e) {
      return Verdict.refused(Refusal.MALFORMED, null, e.getMessage());
    }
    if (!peers.contains(env.from())) {
      return Verdict.refused(Refusal.UNKNOWN_SENDER, env.from(),
          "sender " + env.from() + " is not a member " + peers);
    }
    List<Message> mine = new ArrayList<>(env.messages().size());
    for (Message m : env.messages()) {
      if (m.to().equals(self)) {
        mine.add(m);
      }
    }
    return new Verdict(null, env.from(), null, mine);
  }
}
