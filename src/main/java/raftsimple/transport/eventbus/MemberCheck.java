package raftsimple.transport.eventbus;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Judges one member of the Hazelcast cluster against this node's configuration, from the address
 * it joined from and the attributes it announces ({@link ClusterIdentity}). Pure: the Hazelcast
 * glue is {@link MemberAudit}.
 *
 * <p>A {@link Severity#CONFLICT} is a misconfiguration between members of one cluster (a second
 * node with this node's id, or a configured peer that announces another transport, wire version or
 * cluster): a node that finds one at start refuses to start. A {@link Severity#STRANGER} is a member
 * this node does not expect (no raftsimple attributes, an id that is not a peer, an address not in
 * {@code eventbus.members}): it is logged loudly, but it cannot stop this node from starting,
 * since anyone who can reach the Hazelcast port could otherwise keep the cluster down.
 */
final class MemberCheck {
  enum Severity {
    OK,
    STRANGER,
    CONFLICT
  }

  record Finding(Severity severity, String text) {
    static final Finding OK = new Finding(Severity.OK, "");
  }

  private final ClusterIdentity self;
  private final Set<String> peers;
  private final Set<InetSocketAddress> listed;

  /**
   * @param listed the resolved {@code eventbus.members} (this node's own address need not be in it)
   */
  MemberCheck(ClusterIdentity self, Set<String> peers, Set<InetSocketAddress> listed) {
    this.self = self;
    this.peers = new TreeSet<>(peers);
    this.listed = Set.copyOf(listed);
  }

  Finding judge(InetSocketAddress address, Map<String, String> attributes) {
    String where = address.getHostString() + ":" + address.getPort();
    String transport = attributes.get(ClusterIdentity.ATTR_TRANSPORT);
    String node = attributes.get(ClusterIdentity.ATTR_NODE);
    if (transport == null || node == null) {
      return stranger("a member at " + where + " is not a raftsimple event-bus node (it announces "
          + "no raftsimple attributes); it cannot open event-bus connections when TLS is on");
    }
    String who = "member " + node + " at " + where;
    if (!transport.equals(ClusterIdentity.TRANSPORT)) {
      return conflict(who + " announces transport '" + transport + "'; every node of a cluster "
          + "must use the same transport");
    }
    if (node.equals(self.nodeId())) {
      return conflict(who + " announces this node's own id: two nodes must not share an id");
    }
    if (!peers.contains(node)) {
      return stranger(who + " is not a configured peer (peers: " + peers + "); its messages are "
          + "refused");
    }
    String cluster = attributes.get(ClusterIdentity.ATTR_CLUSTER);
    if (!self.clusterId().equals(cluster)) {
      return conflict(who + " belongs to cluster " + cluster + ", this node to "
          + self.clusterId() + ": the members list different voters in 'peers'");
    }
    String wire = attributes.get(ClusterIdentity.ATTR_WIRE);
    if (!self.attributes().get(ClusterIdentity.ATTR_WIRE).equals(wire)) {
      return conflict(who + " speaks wire version " + wire + ", this node "
          + self.attributes().get(ClusterIdentity.ATTR_WIRE));
    }
    if (!listed.contains(address)) {
      return stranger(who + " joined from an address that is not in eventbus.members "
          + listed + "; list it there (its messages are still accepted: TLS authenticates it)");
    }
    return Finding.OK;
  }

  private static Finding stranger(String text) {
    return new Finding(Severity.STRANGER, text);
  }

  private static Finding conflict(String text) {
    return new Finding(Severity.CONFLICT, text);
  }
}
