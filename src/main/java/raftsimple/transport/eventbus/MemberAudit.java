package raftsimple.transport.eventbus;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import raftsimple.config.NodeConfig;

/**
 * Watches the Hazelcast membership of the event-bus cluster (docs/TRANSPORTS.md §3.4): at start,
 * a {@link MemberCheck.Severity#CONFLICT} among the current members fails the transport's start
 * with a message naming it; afterwards every member that joins is judged and anything unexpected
 * is logged at ERROR (a node that is joining at INFO), and a member that leaves is logged and, when
 * it is a raftsimple member, reported to the transport (a reachability input, docs/TRANSPORTS.md
 * §1.5). The raftsimple members it judges against follow the configuration ({@link #members(Set)}).
 * Hazelcast calls the listener on its own threads: this class only logs and hands over there, and
 * its one piece of mutable state (the members, in {@link MemberCheck}) is replaced as a whole.
 *
 * <p>It cannot attribute a single event-bus message to a Hazelcast member (Vert.x does not expose
 * the sending node of a message), so it does not filter messages; TLS client authentication and
 * {@link Inbound} do that.
 */
final class MemberAudit implements MembershipListener {
  private static final System.Logger LOG = System.getLogger(MemberAudit.class.getName());

  private final HazelcastInstance hazelcast;
  private final MemberCheck check;
  private final Consumer<String> peerLeft;
  private UUID listenerId;

  private MemberAudit(HazelcastInstance hazelcast, MemberCheck check, Consumer<String> peerLeft) {
    this.hazelcast = hazelcast;
    this.check = check;
    this.peerLeft = peerLeft;
  }

  /** This node's Hazelcast instance (the one {@link EventBusCluster} started), or null. Blocking. */
  static HazelcastInstance hazelcast(NodeConfig config) {
    return Hazelcast.getHazelcastInstanceByName(EventBusCluster.instanceName(config));
  }

  /**
   * Finds the node's Hazelcast instance, resolves {@code eventbus.members} (DNS: on a worker),
   * judges the current members against {@code members} and starts listening. Fails on a conflict.
   * Completes with null when the Vert.x was clustered by other means than {@link EventBusCluster}
   * (no audit then).
   *
   * @param peerLeft told the id of a member whose Hazelcast member left, on a Hazelcast thread
   *     (hop to your context before touching state)
   */
  static Future<MemberAudit> start(Vertx vertx, NodeConfig config, ClusterIdentity identity,
      Set<String> members, Consumer<String> peerLeft) {
    return vertx.executeBlocking(() -> {
      HazelcastInstance hz = hazelcast(config);
      if (hz == null) {
        LOG.log(Level.WARNING, "no Hazelcast instance named {0}: the clustered Vert.x was not built "
            + "by EventBusCluster, so members are not audited", EventBusCluster.instanceName(config));
        return null;
      }
      Set<String> configured = config.joins() ? Set.of() : config.peers().stream()
          .map(NodeConfig.Peer::id).collect(Collectors.toCollection(java.util.TreeSet::new));
      MemberCheck check = new MemberCheck(identity, configured, resolve(config.eventbus().members()));
      check.members(members);
      MemberAudit audit = new MemberAudit(hz, check, peerLeft);
      audit.checkAtStart();
      audit.listenerId = hz.getCluster().addMembershipListener(audit);
      return audit;
    }, false);
  }

  /**
   * The attributes every other member announces now, for a joining node to learn the cluster id
   * from ({@link MemberCheck#learnClusterId}). Blocking.
   */
  static List<Map<String, String>> announced(HazelcastInstance hz) {
    List<Map<String, String>> out = new ArrayList<>();
    for (Member m : hz.getCluster().getMembers()) {
      if (!m.localMember()) {
        out.add(m.getAttributes());
      }
    }
    return out;
  }

  /** The raftsimple members as the configuration now has them (and former ones). */
  void members(Set<String> ids) {
    check.members(ids);
  }

  /** Stops listening; idempotent. */
  void close() {
    if (listenerId != null && hazelcast.getLifecycleService().isRunning()) {
      hazelcast.getCluster().removeMembershipListener(listenerId);
    }
    listenerId = null;
  }

  /** Members judged unexpected, joining or conflicting right now (for the metrics gauge). */
  int unexpectedMembers() {
    if (!hazelcast.getLifecycleService().isRunning()) {
      return 0;
    }
    int n = 0;
    for (Member m : hazelcast.getCluster().getMembers()) {
      if (!m.localMember() && judge(m).severity() != MemberCheck.Severity.OK) {
        n++;
      }
    }
    return n;
  }

  private void checkAtStart() {
    List<String> conflicts = new ArrayList<>();
    for (Member m : hazelcast.getCluster().getMembers()) {
      if (m.localMember()) {
        continue;
      }
      MemberCheck.Finding f = judge(m);
      if (f.severity() == MemberCheck.Severity.CONFLICT) {
        conflicts.add(f.text());
      } else {
        log(f);
      }
    }
    if (!conflicts.isEmpty()) {
      throw new IllegalStateException("transport eventbus: refusing to start: "
          + String.join("; ", conflicts));
    }
  }

  private MemberCheck.Finding judge(Member m) {
    return check.judge(m.getSocketAddress(), m.getAttributes());
  }

  private static void log(MemberCheck.Finding f) {
    if (f.severity() == MemberCheck.Severity.JOINING) {
      LOG.log(Level.INFO, "event-bus cluster: " + f.text());
    } else if (f.severity() != MemberCheck.Severity.OK) {
      LOG.log(Level.ERROR, "event-bus cluster: " + f.text());
    }
  }

  @Override
  public void memberAdded(MembershipEvent event) {
    MemberCheck.Finding f = judge(event.getMember());
    if (f.severity() == MemberCheck.Severity.OK) {
      LOG.log(Level.INFO, "event-bus cluster: peer {0} joined from {1}",
          event.getMember().getAttribute(ClusterIdentity.ATTR_NODE), event.getMember().getSocketAddress());
    } else {
      log(f);
    }
  }

  @Override
  public void memberRemoved(MembershipEvent event) {
    String node = event.getMember().getAttribute(ClusterIdentity.ATTR_NODE);
    if (node != null && check.members().contains(node)) {
      LOG.log(Level.WARNING, "event-bus cluster: peer {0} left (from {1}); messages to it fail "
          + "until it rejoins", node, event.getMember().getSocketAddress());
      peerLeft.accept(node);
    }
  }

  private static Set<InetSocketAddress> resolve(List<String> members) {
    Set<InetSocketAddress> out = new HashSet<>();
    for (String hostPort : members) {
      int colon = hostPort.lastIndexOf(':');
      InetSocketAddress a = new InetSocketAddress(hostPort.substring(0, colon),
          Integer.parseInt(hostPort.substring(colon + 1)));
      if (a.isUnresolved()) {
        LOG.log(Level.WARNING, "eventbus.members: cannot resolve {0}", hostPort);
      }
      out.add(a);
    }
    return out;
  }
}
