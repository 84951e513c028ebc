package raftsimple.transport.eventbus;

import java.net.InetSocketAddress;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Judges one member of the Hazelcast cluster against this node's view of the cluster, from the
 * address it joined from and the attributes it announces ({@link ClusterIdentity}). Pure: the
 * Hazelcast glue is {@link MemberAudit}.
 *
 * <p>The members are the raftsimple configuration's ({@code peers} at first, then every member the
 * log verticle has published, docs/PROTOCOL.md §11; former members stay, as they may still need to
 * learn of their removal). A {@link Severity#CONFLICT} is a misconfiguration between members of
 * one cluster (a second node with this node's id, or a member that announces another transport,
 * wire version or cluster): a node that finds one at start refuses to start. A {@link
 * Severity#STRANGER} is a member this node does not expect (no raftsimple attributes, an id that is
 * not a member, a configured peer at an address not in {@code eventbus.members}): it is logged
 * loudly, but it cannot stop this node from starting, since anyone who can reach the Hazelcast port
 * could otherwise keep the cluster down. A {@link Severity#JOINING} member announces an id that is
 * not a member yet and no cluster id: a node on its first start with {@code join}, which joins the
 * Hazelcast cluster before its join request commits; it becomes a member once that commits.
 *
 * <p>Thread-safe: the members are replaced as a whole ({@link #members(Set)}), and judged by
 * Hazelcast's threads.
 */
final class MemberCheck {
  enum Severity {
    OK,
    JOINING,
    STRANGER,
    CONFLICT
  }

  record Finding(Severity severity, String text) {
    static final Finding OK = new Finding(Severity.OK, "");
  }

  private final ClusterIdentity self;
  private final Set<String> configured;
  private final Set<InetSocketAddress> listed;
  private volatile Set<String> members;

  /**
   * @param configured the peers in this node's config file (the listed-address rule applies to
   *     them; members added later joined from wherever they run)
   * @param listed the resolved {@code eventbus.members} (this node's own address need not be in it)
   */
  MemberCheck(ClusterIdentity self, Set<String> configured, Set<InetSocketAddress> listed) {
    this.self = self;
    this.configured = Set.copyOf(configured);
    this.listed = Set.copyOf(listed);
    this.members = new TreeSet<>(configured);
  }

  /** The cluster's members as now known (this node's own id is ignored). */
  void members(Set<String> ids) {
    members = Set.copyOf(ids);
  }

  Set<String> members() {
    return members;
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
    String cluster = attributes.get(ClusterIdentity.ATTR_CLUSTER);
    if (!members.contains(node)) {
      return cluster == null
          ? new Finding(Severity.JOINING, who + " is joining (it announces no cluster id yet); it "
              + "takes part once the cluster has added it")
          : stranger(who + " is not a member (members: " + new TreeSet<>(members) + "); its messages "
              + "are refused");
    }
    if (cluster != null && self.clusterId() != null && !self.clusterId().equals(cluster)) {
      return conflict(who + " belongs to cluster " + cluster + ", this node to "
          + self.clusterId() + ": the members list different voters in 'peers'");
    }
    String wire = attributes.get(ClusterIdentity.ATTR_WIRE);
    if (!self.attributes().get(ClusterIdentity.ATTR_WIRE).equals(wire)) {
      return conflict(who + " speaks wire version " + wire + ", this node "
          + self.attributes().get(ClusterIdentity.ATTR_WIRE));
    }
    if (configured.contains(node) && !listed.contains(address)) {
      return stranger(who + " joined from an address that is not in eventbus.members "
          + listed + "; list it there (its messages are still accepted: TLS authenticates it)");
    }
    return Finding.OK;
  }

  /** What a joining node learns from the members it finds: their one cluster id, or why not. */
  record Learned(String clusterId, String problem) {}

  /**
   * The cluster id that the members among {@code announced} (each member's attributes) agree on.
   * Only members of the configuration count (a stranger cannot choose the id); those that announce
   * none yet (joining themselves) are skipped. No such member: {@code clusterId} and {@code
   * problem} are both null (ask again later). Members announcing different ids: a problem naming
   * them.
   */
  static Learned learnClusterId(Collection<Map<String, String>> announced, Set<String> members) {
    Map<String, String> idOf = new TreeMap<>();
    for (Map<String, String> a : announced) {
      String node = a.get(ClusterIdentity.ATTR_NODE);
      String cluster = a.get(ClusterIdentity.ATTR_CLUSTER);
      if (node != null && cluster != null && members.contains(node)
          && ClusterIdentity.TRANSPORT.equals(a.get(ClusterIdentity.ATTR_TRANSPORT))) {
        idOf.put(node, cluster);
      }
    }
    Set<String> ids = new TreeSet<>(idOf.values());
    if (ids.isEmpty()) {
      return new Learned(null, null);
    }
    if (ids.size() > 1) {
      return new Learned(null, "the members announce different cluster ids " + idOf
          + ": they list different voters in 'peers'");
    }
    return new Learned(ids.iterator().next(), null);
  }

  private static Finding stranger(String text) {
    return new Finding(Severity.STRANGER, text);
  }

  private static Finding conflict(String text) {
    return new Finding(Severity.CONFLICT, text);
  }
}
