package raftsimple.transport.eventbus;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.MessageProducer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.internal.VertxInternal;
import java.lang.System.Logger.Level;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import raftsimple.bus.Addresses;
import raftsimple.bus.BusApi;
import raftsimple.bus.LocalCodec;
import raftsimple.config.NodeConfig;
import raftsimple.transport.PeerOutbox;
import raftsimple.transport.Reachability;
import raftsimple.transport.WireCodec;
import raftsimple.transport.WireFormatException;

/**
 * Peer transport over the clustered Vert.x event bus (docs/TRANSPORTS.md §3). Messages from the
 * log verticle ({@link Addresses#PEER_OUT}) are batched per peer by a {@link PeerOutbox} and sent,
 * as one {@link WireCodec} envelope in a {@link Buffer}, to the peer's cluster-wide address
 * {@link #peerAddress(String)}. A send is "in flight" until Vert.x has written it to the peer's
 * connection (or failed: no such peer, connection lost, not written within
 * {@value #SEND_TIMEOUT_MS} ms); what the log verticle sends meanwhile forms the next batch, so
 * a slow connection (TCP back-pressure) makes batches grow instead of queues. Fire-and-forget
 * beat request/reply in the benchmark (docs/TRANSPORTS.md §3.5): no reply to wait for, no
 * reply handler per batch. Inbound envelopes are judged by {@link Inbound} and their messages
 * handed to the log verticle on {@link Addresses#PEER_IN}, with {@code localOnly} delivery.
 *
 * <p>The peers follow the configuration (docs/PROTOCOL.md §11, docs/TRANSPORTS.md §3.8): the
 * configured {@code peers} (none for a joining node), the members the log verticle knows at start,
 * and every member it publishes later ({@link Addresses#MEMBERS}); former members are kept, so a
 * removed voter can still learn of its removal. A joining node that has not learned its cluster id
 * yet learns it from the members before it takes or sends anything ({@link ClusterIdentity}). A
 * node that finds itself removed leaves the Hazelcast cluster after {@link #leaveAfterMs}, so its
 * last messages (its removal's commit and confirmation, §11) have gone out.
 *
 * <p>Reachability (docs/TRANSPORTS.md §1.5, §3.7): a failed send or an unanswered liveness ping
 * ({@link Liveness}) makes a peer unreachable, an answered ping reachable again, and a member that
 * leaves the Hazelcast cluster is reported at once; the edges go to the log verticle on {@link
 * Addresses#PEER_REACHABILITY}, where they become the core's {@code PeerDown}/{@code PeerUp}.
 *
 * <p>Invariants: the peer address is the only cluster-wide consumer a node registers; every
 * internal address keeps its {@code localConsumer}, and this verticle's own sends to internal
 * addresses are {@code localOnly} (docs/TRANSPORTS.md §3.2 explains why that makes them unable to
 * leave the process). Everything runs on this verticle's event loop; nothing blocks.
 */
public final class EventBusTransportVerticle extends VerticleBase {
  private static final System.Logger LOG = System.getLogger(EventBusTransportVerticle.class.getName());
  /** Prefix of the per-node peer addresses; not {@code raftsimple.peer.}: a node named "in" or
   * "out" would collide with {@link Addresses#PEER_IN} / {@link Addresses#PEER_OUT}. */
  public static final String PEER_ADDRESS_PREFIX = "raftsimple.eventbus.peer.";
  static final int QUEUE_MAX = 10_000;
  static final int BATCH_MAX = 256;
  static final long SEND_TIMEOUT_MS = 2_000;
  /** How long a joining node looks for members announcing the cluster id before it gives up. */
  static final long LEARN_DEADLINE_MS = 30_000;
  /** Status answered to a peer that sends over HTTPS to this event-bus node (Misdirected Request). */
  static final int MIXED_TRANSPORT_STATUS = 421;
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);

  /**
   * The liveness probe (docs/TRANSPORTS.md §3.7): every {@code pingMs} a request with an empty
   * envelope to each peer's address, answered by the peer's transport; no answer within {@code
   * timeoutMs} makes the peer unreachable ({@code NO_PONG}), an answer reachable again.
   */
  record Liveness(long pingMs, long timeoutMs) {
    static final Liveness DEFAULT = new Liveness(250, 1_500);
  }

  private final NodeConfig config;
  private final MeterRegistry registry;
  private final long leaveAfterMs;
  private ClusterIdentity identity;
  private final Map<String, PeerOutbox> outboxes = new TreeMap<>();
  private final Map<Inbound.Refusal, Counter> refusedCounters = new EnumMap<>(Inbound.Refusal.class);
  private final RefusalLog<Inbound.Refusal> refusals =
      new RefusalLog<>(Inbound.Refusal.class, LOG, Level.WARNING);
  private final Map<String, MessageProducer<Buffer>> producers = new TreeMap<>();
  private DeliveryOptions sendOptions;
  private final Liveness liveness;
  private final java.util.Set<String> pinging = new java.util.TreeSet<>();
  private Reachability reachability;
  private DeliveryOptions pingOptions;
  private long pingTimer = -1;
  private long lastPingTickNanos;
  private long stalls;
  private Inbound inbound;
  private MemberAudit audit;
  private MessageConsumer<Object> peerConsumer;
  private long mixedTransport;
  /** The newest membership published while the transport was starting, or null. */
  private BusApi.Members early;
  /** The timer that will take this removed node out of the event-bus cluster, or -1. */
  private long leaveTimer = -1;
  private boolean left;

  public EventBusTransportVerticle(NodeConfig config, MeterRegistry registry) {
    this(config, registry, Liveness.DEFAULT);
  }

  /** With the liveness probe's timing given (tests shorten it). */
  EventBusTransportVerticle(NodeConfig config, MeterRegistry registry, Liveness liveness) {
    this.config = Objects.requireNonNull(config, "config");
    this.registry = Objects.requireNonNull(registry, "registry");
    this.leaveAfterMs = Math.max(3_000, 10 * config.limits().heartbeatMs());
    this.liveness = Objects.requireNonNull(liveness, "liveness");
  }

  /** The cluster-wide address at which node {@code nodeId} takes peer envelopes. */
  public static String peerAddress(String nodeId) {
    return PEER_ADDRESS_PREFIX + nodeId;
  }

  @Override
  public Future<?> start() {
    if (!vertx.isClustered()) {
      return Future.failedFuture(new IllegalStateException("transport eventbus needs a clustered "
          + "Vert.x (raftsimple.app.Main builds one from the 'eventbus' config block)"));
    }
    EventBus bus = vertx.eventBus();
    LocalCodec.registerAll(bus);
    registerMetrics();
    // Listening before the log is asked, so no change is missed: one that comes while the transport
    // is still starting waits in `early`.
    bus.<BusApi.Members>localConsumer(Addresses.MEMBERS, m -> {
      if (inbound == null) {
        early = m.body();
      } else {
        onMembers(m.body());
      }
    });
    return vertx.executeBlocking(() -> ClusterIdentity.of(config), false)
        .compose(id -> MembersAtStart.query(vertx).map(members -> {
          identity = id;
          return members;
        }))
        .compose(members -> identity.clusterId() != null ? Future.succeededFuture(members)
            : learnClusterId(members.ids()).map(members))
        .compose(this::begin)
        .onSuccess(v -> LOG.log(Level.INFO, "transport eventbus: node {0} (cluster {1}) takes peer "
            + "messages at {2}; peers {3}", config.nodeId(), identity.clusterId(),
            peerAddress(config.nodeId()), outboxes.keySet()));
  }

  /** Everything that needs the cluster id: the checks, the peers, the consumers. */
  private Future<Void> begin(MembersAtStart members) {
    EventBus bus = vertx.eventBus();
    Set<String> initial = new TreeSet<>(members.ids());
    if (!config.joins()) {
      config.peers().forEach(p -> initial.add(p.id()));
    }
    initial.remove(config.nodeId());
    inbound = new Inbound(config.nodeId(), identity.clusterId(), Set.of());
    sendOptions = new DeliveryOptions().setSendTimeout(SEND_TIMEOUT_MS)
        .addHeader(ClusterIdentity.HEADER_CLUSTER, identity.clusterId());
    pingOptions = new DeliveryOptions().setSendTimeout(liveness.timeoutMs())
        .addHeader(ClusterIdentity.HEADER_CLUSTER, identity.clusterId());
    reachability = new Reachability(vertx, "eventbus");
    initial.forEach(this::addPeer);
    io.vertx.core.Context context = vertx.getOrCreateContext();
    java.util.function.Consumer<String> peerLeft = node -> context.runOnContext(v ->
        reachability.down(node, BusApi.PeerReachability.Reason.MEMBER_LEFT,
            "its event-bus cluster member left"));
    return MemberAudit.start(vertx, config, identity, initial, peerLeft).compose(a -> {
      audit = a;
      if (a != null) {
        a.members(producers.keySet()); // with any member added while the audit started
      }
      bus.<Object>localConsumer(Addresses.PEER_OUT, this::onOutbound);
      bus.<BusApi.PeerHttpBody>localConsumer(Addresses.PEER_HTTP_INBOUND, this::onHttpsInbound);
      // The one cluster-wide registration; completes once it is in the cluster's registry.
      peerConsumer = bus.consumer(peerAddress(config.nodeId()), this::onPeerMessage);
      return peerConsumer.completion();
    }).onSuccess(v -> {
      pingTimer = vertx.setPeriodic(0, liveness.pingMs(), id -> pingAll());
      if (early != null) {
        onMembers(early);
        early = null;
      } else if (!members.selfIsMember()) {
        removed(); // restarted after its removal
      }
    });
  }

  /** A new member to talk to and take envelopes from (never dropped: see the class comment). */
  private void addPeer(String id) {
    if (producers.containsKey(id) || id.equals(config.nodeId())) {
      return;
    }
    producers.put(id, vertx.eventBus().sender(peerAddress(id), sendOptions));
    outboxes.put(id, new PeerOutbox(vertx, id, QUEUE_MAX, BATCH_MAX, batch -> deliver(id, batch),
        sendOutcomes(id)));
    inbound.addPeer(id);
    registerPeerMetrics(id);
    if (audit != null) {
      audit.members(producers.keySet());
    }
  }

  /**
   * The configuration changed (docs/PROTOCOL.md §11): talk to the members it adds; leave the
   * event-bus cluster once this node is no longer among them.
   */
  private void onMembers(BusApi.Members members) {
    boolean self = false;
    for (raftsimple.core.msg.Membership.Member m : members.members()) {
      if (m.id().equals(config.nodeId())) {
        self = true;
      } else {
        addPeer(m.id());
      }
    }
    if (!self) {
      removed();
    } else if (leaveTimer >= 0) {
      vertx.cancelTimer(leaveTimer); // added back before it left
      leaveTimer = -1;
    } else if (left) {
      LOG.log(Level.WARNING, "node {0} was added back, but it left the event-bus cluster when it "
          + "was removed: restart it to rejoin", config.nodeId());
    }
  }

  /** This node was removed: leave once its last messages are out. */
  private void removed() {
    if (left || leaveTimer >= 0) {
      return;
    }
    LOG.log(Level.INFO, "node {0} is not a member any more; it leaves the event-bus cluster in {1} ms",
        config.nodeId(), leaveAfterMs);
    leaveTimer = vertx.setTimer(leaveAfterMs, id -> leave());
  }

  /**
   * Takes this node out of the event-bus cluster: unregisters its peer address (the members stop
   * routing to it), stops sending, stops the audit and leaves Hazelcast through Vert.x's cluster
   * manager (so that closing Vert.x later does not try again). The node keeps serving clients.
   */
  private void leave() {
    leaveTimer = -1;
    left = true;
    MemberAudit a = audit;
    audit = null;
    peerConsumer.unregister()
        .compose(v -> vertx.executeBlocking(() -> {
          if (a != null) {
            a.close();
          }
          return null;
        }, false))
        .compose(v -> Future.<Void>future(p -> ((VertxInternal) vertx).clusterManager().leave(p)))
        .onComplete(ar -> {
          if (ar.succeeded()) {
            LOG.log(Level.INFO, "node {0} left the event-bus cluster (it was removed from the cluster)",
                config.nodeId());
          } else {
            LOG.log(Level.WARNING, "node {0} could not leave the event-bus cluster: {1}",
                config.nodeId(), String.valueOf(ar.cause()));
          }
        });
  }

  /**
   * A joining node's first start: the cluster id its members announce, learned from Hazelcast
   * (polled: the members may still be starting) and kept in the data dir.
   */
  private Future<Void> learnClusterId(Set<String> members) {
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(LEARN_DEADLINE_MS);
    return Future.future(p -> tryLearning(members, deadline, p));
  }

  private void tryLearning(Set<String> members, long deadlineNanos, io.vertx.core.Promise<Void> p) {
    vertx.executeBlocking(() -> {
      com.hazelcast.core.HazelcastInstance hz = MemberAudit.hazelcast(config);
      if (hz == null) {
        throw new IllegalStateException("no Hazelcast instance named " + EventBusCluster.instanceName(config)
            + ": cannot learn the cluster id");
      }
      MemberCheck.Learned l = MemberCheck.learnClusterId(MemberAudit.announced(hz), members);
      if (l.clusterId() != null) {
        ClusterIdentity.keep(config, l.clusterId());
      }
      return l;
    }, false).onComplete(ar -> {
      if (ar.failed()) {
        p.fail(ar.cause());
      } else if (ar.result().problem() != null) {
        p.fail(new IllegalStateException("transport eventbus: refusing to start: " + ar.result().problem()));
      } else if (ar.result().clusterId() != null) {
        identity = identity.withClusterId(ar.result().clusterId());
        LOG.log(Level.INFO, "node {0} learned the event-bus cluster id {1} from the members it joined",
            config.nodeId(), identity.clusterId());
        p.complete();
      } else if (System.nanoTime() > deadlineNanos) {
        p.fail(new IllegalStateException("transport eventbus: none of the members " + members
            + " announces a cluster id on the event bus within " + LEARN_DEADLINE_MS / 1000
            + " s: check that eventbus.members lists a member's cluster address"));
      } else {
        vertx.setTimer(500, id -> tryLearning(members, deadlineNanos, p));
      }
    });
  }

  /** One message, or a batch of them ({@link BusApi.PeerMessages}), for any peers. */
  private void onOutbound(Message<Object> m) {
    if (left) {
      return; // out of the event-bus cluster: there is no one to send to
    }
    BusApi.PeerMessages.forEach(m.body(), this::send);
  }

  private void send(raftsimple.core.msg.Message msg) {
    PeerOutbox box = outboxes.get(msg.to());
    if (box != null) {
      box.add(msg);
    }
  }

  /**
   * A failed send makes the peer unreachable at once; a written batch proves nothing (a frozen
   * peer's socket buffers take it), so only the liveness probe's answers make it reachable.
   */
  private PeerOutbox.Listener sendOutcomes(String peer) {
    return new PeerOutbox.Listener() {
      @Override
      public void sent() {}

      @Override
      public void failed(Throwable cause) {
        reachability.down(peer, reasonFor(cause), String.valueOf(cause));
      }
    };
  }

  /** One probe per peer in flight at most; see {@link Liveness}. */
  private void pingAll() {
    if (left) {
      return;
    }
    long now = System.nanoTime();
    if (lastPingTickNanos != 0 && (now - lastPingTickNanos) / 1_000_000 > 2 * liveness.pingMs()) {
      stalls++; // this node's own loop was stalled: a reply may be waiting unread
    }
    lastPingTickNanos = now;
    Buffer empty = Buffer.buffer(WireCodec.envelope(config.nodeId(), List.of()));
    for (String peer : outboxes.keySet()) {
      if (!pinging.add(peer)) {
        continue;
      }
      long stallsAtSend = stalls;
      vertx.eventBus().request(peerAddress(peer), empty, pingOptions).onComplete(ar -> {
        pinging.remove(peer);
        if (ar.succeeded()) {
          reachability.up(peer, BusApi.PeerReachability.Reason.CONNECTED, "answered a ping");
        } else if (reasonFor(ar.cause()) != BusApi.PeerReachability.Reason.NO_PONG
            || stalls == stallsAtSend) {
          reachability.down(peer, reasonFor(ar.cause()), describe(peer, ar.cause()));
        } // a timeout across this node's own stall blames no peer; the next ping decides
      });
    }
  }

  static BusApi.PeerReachability.Reason reasonFor(Throwable e) {
    Throwable t = e instanceof SendFailed && e.getCause() != null ? e.getCause() : e;
    if (t instanceof ReplyException r) {
      if (r.failureType() == ReplyFailure.TIMEOUT) {
        return BusApi.PeerReachability.Reason.NO_PONG;
      }
      if (r.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
        return BusApi.PeerReachability.Reason.REFUSED_BY_PEER;
      }
    }
    if (t instanceof TimeoutException) {
      return BusApi.PeerReachability.Reason.TIMEOUT;
    }
    return BusApi.PeerReachability.Reason.SEND_FAILED;
  }

  private Future<?> deliver(String peer, List<raftsimple.core.msg.Message> batch) {
    Buffer body = Buffer.buffer(WireCodec.encode(config.nodeId(), batch));
    return producers.get(peer).write(body).timeout(SEND_TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .recover(e -> Future.failedFuture(new SendFailed(describe(peer, e), e)));
  }

  /** A failure as the outbox logs it: what happened and what it usually means. */
  private static String describe(String peer, Throwable e) {
    if (e instanceof ReplyException r && r.failureType() == ReplyFailure.NO_HANDLERS) {
      return "no node has registered " + peerAddress(peer) + ": " + peer + " is down, has not "
          + "joined the event-bus cluster (check eventbus.members on both sides), or runs "
          + "another transport";
    }
    if (e instanceof TimeoutException) {
      return "the connection to " + peer + " took no batch within " + SEND_TIMEOUT_MS + " ms";
    }
    return "sending to " + peer + " failed: " + e;
  }

  private void onPeerMessage(Message<Object> m) {
    Inbound.Verdict v = inbound.judge(m.headers().get(ClusterIdentity.HEADER_CLUSTER), m.body());
    if (v.refusal() != null) {
      refusedCounters.get(v.refusal()).increment();
      refusals.refused(v.refusal(), "peer message refused (" + v.refusal() + "): " + v.reason());
      m.fail(v.refusal().code, v.reason()); // a no-op for peers' sends; answers requests
      return;
    }
    EventBus bus = vertx.eventBus();
    for (raftsimple.core.msg.Message msg : v.messages()) {
      bus.send(Addresses.PEER_IN, msg, LOCAL);
    }
    m.reply(null); // peers send without a reply address; tools and tests may ask
  }

  /**
   * A peer sent protocol messages over HTTPS, but this node runs the event-bus transport: the
   * cluster mixes transports. Refuse with 421 (the HTTPS transport names the cause in its log)
   * and say so loudly here; /cluster shows both sides unreachable.
   */
  private void onHttpsInbound(Message<BusApi.PeerHttpBody> m) {
    mixedTransport++;
    if (Long.bitCount(mixedTransport) == 1) {
      LOG.log(Level.ERROR, "node {0} sent protocol messages over HTTPS (certificate {1}), but this "
          + "node uses transport eventbus: every node of a cluster must use the same transport; "
          + "refused with {2} ({3} so far)", senderOf(m.body()), m.body().peerCertSubject(),
          MIXED_TRANSPORT_STATUS, mixedTransport);
    }
    m.reply(MIXED_TRANSPORT_STATUS);
  }

  private static String senderOf(BusApi.PeerHttpBody body) {
    try {
      return WireCodec.decode(body.body().getBytes()).from();
    } catch (WireFormatException e) {
      return "(unreadable envelope)";
    }
  }

  /** A peer's gauges, registered when it becomes a peer (peers follow the configuration). */
  private void registerPeerMetrics(String peer) {
    Gauge.builder("raftsimple_peer_reachable", this,
            t -> Boolean.TRUE.equals(t.reachability.reported(peer)) ? 1 : 0)
        .description("1 while the link to a peer is up")
        .tag("peer", peer).tag("transport", "eventbus").register(registry);
    Gauge.builder("raftsimple_peer_outbox_messages", this, t -> t.outboxes.get(peer).queued())
        .description("Messages queued for a peer")
        .tag("peer", peer).tag("transport", "eventbus").register(registry);
    io.micrometer.core.instrument.FunctionCounter.builder("raftsimple_peer_messages_dropped", this,
            t -> t.outboxes.get(peer).dropped())
        .description("Messages dropped because a peer's queue was full")
        .tag("peer", peer).tag("transport", "eventbus").register(registry);
  }

  private void registerMetrics() {
    for (Inbound.Refusal r : Inbound.Refusal.values()) {
      refusedCounters.put(r, Counter.builder("raftsimple_peer_messages_refused")
          .description("Peer envelopes this node's transport refused, by reason")
          .tag("transport", "eventbus").tag("reason", r.name().toLowerCase(java.util.Locale.ROOT))
          .register(registry));
    }
    Gauge.builder("raftsimple_eventbus_unexpected_members", this,
            t -> t.audit == null ? 0 : t.audit.unexpectedMembers())
        .description("Hazelcast members that are not configured peers, or conflict with this node")
        .register(registry);
  }

  /** Queued messages for a peer, for tests. */
  int queued(String peer) {
    return outboxes.get(peer).queued();
  }

  /** How many inbound envelopes were refused for {@code why}, for tests. */
  long refused(Inbound.Refusal why) {
    return refusals.count(why);
  }

  /** A failed send as the outbox logs it: the explanation alone, no class name or stack trace. */
  private static final class SendFailed extends RuntimeException {
    private static final long serialVersionUID = 1L;

    SendFailed(String message, Throwable cause) {
      super(message, cause, false, false);
    }

    @Override
    public String toString() {
      return getMessage();
    }
  }

  @Override
  public Future<?> stop() {
    if (leaveTimer >= 0) {
      vertx.cancelTimer(leaveTimer);
    }
    vertx.cancelTimer(pingTimer);
    // Removing a Hazelcast listener may talk to Hazelcast's event service: off the event loop.
    MemberAudit a = audit;
    return a == null ? Future.succeededFuture() : vertx.executeBlocking(() -> {
      a.close();
      return null;
    }, false);
  }
}
