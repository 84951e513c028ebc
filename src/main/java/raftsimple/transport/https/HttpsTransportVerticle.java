package raftsimple.transport.https;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.ToDoubleFunction;
import raftsimple.bus.Addresses;
import raftsimple.bus.BusApi;
import raftsimple.bus.LocalCodec;
import raftsimple.config.NodeConfig;
import raftsimple.config.TlsMaterial;
import raftsimple.transport.Reachability;
import raftsimple.transport.WireCodec;
import raftsimple.transport.WireFormatException;

/**
 * Peer transport over HTTP(S) (docs/TRANSPORTS.md §2). Outbound, protocol messages from the
 * log verticle ({@link Addresses#PEER_OUT}) go to one {@link PeerLink} per peer: a long-lived
 * WebSocket to {@code <peer url>/peer/stream} on the peer's client port, mutual TLS when TLS is on,
 * each event-loop turn's messages in one frame. Inbound, the ingress checks the client certificate
 * on the client port, accepts the peer's stream (and the older {@code POST /peer/messages}) and
 * hands every frame or body over on {@link Addresses#PEER_HTTP_INBOUND}; this verticle decodes it,
 * checks the sender and passes each message to the log verticle ({@link Addresses#PEER_IN}).
 * Reachability edges of every link go out on {@link Addresses#PEER_REACHABILITY}. Nothing here
 * blocks; delivery is best effort (§1.4).
 *
 * <p>Meters (tag {@code peer}): {@code raftsimple_peer_outbox_messages} (queued),
 * {@code raftsimple_peer_reachable} (1/0), {@code raftsimple_peer_messages_sent_total},
 * {@code raftsimple_peer_frames_sent_total}, {@code raftsimple_peer_messages_dropped_total},
 * {@code raftsimple_peer_connects_total}.
 */
public final class HttpsTransportVerticle extends VerticleBase {
  private static final System.Logger LOG = System.getLogger(HttpsTransportVerticle.class.getName());
  /** What a node running another transport answers on /peer/ (Misdirected Request). */
  static final int MISDIRECTED = 421;

  private final NodeConfig config;
  private final WebClientOptions clientOptions;
  private final MeterRegistry registry;
  private final PeerLink.Settings settings;
  // Sorted and concurrent: written on the event loop, read by meters from the scrape thread.
  private final Map<String, PeerLink> links = new ConcurrentSkipListMap<>();
  private WebSocketClient streams;
  private WebClient posts;
  private Reachability reachability;

  /** Without meters (tests and tools). */
  public HttpsTransportVerticle(NodeConfig config, WebClientOptions clientOptions) {
    this(config, clientOptions, new SimpleMeterRegistry());
  }

  public HttpsTransportVerticle(NodeConfig config, WebClientOptions clientOptions,
      MeterRegistry registry) {
    this(config, clientOptions, registry, PeerLink.Settings.DEFAULT);
  }

  /** With the links' timings and limits given (tests shorten them). */
  HttpsTransportVerticle(NodeConfig config, WebClientOptions clientOptions, MeterRegistry registry,
      PeerLink.Settings settings) {
    this.config = Objects.requireNonNull(config, "config");
    this.clientOptions = Objects.requireNonNull(clientOptions, "clientOptions");
    this.registry = Objects.requireNonNull(registry, "registry");
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  @Override
  public Future<?> start() {
    EventBus bus = vertx.eventBus();
    LocalCodec.registerAll(bus);
    streams = vertx.createWebSocketClient(streamOptions(clientOptions, settings));
    // Only for peers of an older version, which take POST /peer/messages and no stream.
    posts = WebClient.create(vertx,
        new WebClientOptions(clientOptions).setKeepAlive(true).setConnectTimeout(2_000).setIdleTimeout(60),
        new PoolOptions().setHttp1MaxSize(2));
    reachability = new Reachability(vertx, "https");
    for (NodeConfig.Peer p : config.peers()) {
      addPeer(p.id(), p.url());
    }
    bus.<BusApi.Members>localConsumer(Addresses.MEMBERS, m -> onMembers(m.body()));
    bus.<Object>localConsumer(Addresses.PEER_OUT, this::onOutbound);
    bus.<BusApi.PeerHttpBody>localConsumer(Addresses.PEER_HTTP_INBOUND, this::onInbound);
    // The log verticle started first and knows the membership (possibly changed since the config
    // file was written): start from it.
    return bus.<com.fasterxml.jackson.databind.node.ObjectNode>request(Addresses.LOG_QUERY,
            new BusApi.Query(BusApi.Query.Kind.CLUSTER, null, 0, 0),
            Addresses.local(10_000))
        .onSuccess(reply -> {
          java.util.List<raftsimple.core.msg.Membership.Member> ms = new java.util.ArrayList<>();
          for (com.fasterxml.jackson.databind.JsonNode m : reply.body().path("members")) {
            ms.add(new raftsimple.core.msg.Membership.Member(m.path("id").asText(),
                m.path("url").asText(), raftsimple.core.msg.Membership.Role.VOTER));
          }
          onMembers(new BusApi.Members(reply.body().path("membershipVersion").asLong(), ms));
        })
        .otherwiseEmpty();
  }

  /** The peer-link client: the node's TLS identity and trust from the peer client options. */
  static WebSocketClientOptions streamOptions(HttpClientOptions http, PeerLink.Settings settings) {
    WebSocketClientOptions o = new WebSocketClientOptions()
        .setConnectTimeout((int) settings.connectTimeoutMs())
        .setClosingTimeout(1) // a close to a frozen peer gives up after 1 s, not Vert.x's 10
        .setTcpNoDelay(true);
    if (http.isSsl()) {
      o.setSsl(true).setVerifyHost(http.isVerifyHost()).setTrustAll(http.isTrustAll())
          .setKeyCertOptions(http.getKeyCertOptions()).setTrustOptions(http.getTrustOptions());
    }
    return o;
  }

  private void addPeer(String id, String url) {
    PeerLink old = links.remove(id);
    if (old != null) {
      old.close();
    } else {
      registerMeters(id);
    }
    PeerLink link = new PeerLink(vertx, config.nodeId(), id, url, streams, posts, reachability,
        settings);
    links.put(id, link);
    link.start();
  }

  /**
   * The membership changed (docs/PROTOCOL.md §11): talk to the current members at the URLs the
   * cluster agreed on. A member whose URL is unknown here (the founding configuration written by
   * another node) keeps the URL from this node's config. Former members are kept too: a voter
   * removed while cut off learns of its removal only by fetching it from the members, and the core
   * answers it (Node.helpNonMemberCatchUp) — its messages must get in and the answers out. The core
   * ignores every other message from a non-member; nodes that never were members stay refused.
   */
  private void onMembers(BusApi.Members members) {
    for (raftsimple.core.msg.Membership.Member m : members.members()) {
      if (m.id().equals(config.nodeId())) {
        continue;
      }
      PeerLink link = links.get(m.id());
      String url = m.url().isEmpty() ? (link == null ? null : link.url()) : m.url();
      if (url != null && (link == null || !url.equals(link.url()))) {
        addPeer(m.id(), url);
      }
    }
  }

  /** One message, or a batch of them ({@link BusApi.PeerMessages}), for any peers. */
  private void onOutbound(Message<Object> m) {
    BusApi.PeerMessages.forEach(m.body(), this::send);
  }

  private void send(raftsimple.core.msg.Message msg) {
    PeerLink link = links.get(msg.to());
    if (link != null) {
      link.send(msg);
    }
  }

  /** 421: the peer runs another transport (docs/TRANSPORTS.md §3.6); say so in the log. */
  static String hint(int status) {
    return status != MISDIRECTED ? "" : " - that node takes no peer messages over HTTPS: it runs "
        + "another transport (e.g. eventbus); every node of a cluster must use the same transport";
  }

  /** A stream frame or a POST body from a peer: decode, check the sender, hand it on. */
  private void onInbound(Message<BusApi.PeerHttpBody> m) {
    BusApi.PeerHttpBody in = m.body();
    WireCodec.Envelope env;
    try {
      env = WireCodec.decode(in.body().getBytes());
    } catch (WireFormatException e) {
      LOG.log(System.Logger.Level.WARNING, "malformed peer message refused: {0}", e.getMessage());
      m.reply(400);
      return;
    }
    if (!links.containsKey(env.from())) {
      LOG.log(System.Logger.Level.WARNING, "message from unknown node {0} refused", env.from());
      m.reply(403);
      return;
    }
    if (in.peerCertSubject() != null && !TlsMaterial.certNames(in.peerCertSubject(), env.from())) {
      LOG.log(System.Logger.Level.WARNING, "node {0} presented the certificate of {1}; refused",
          env.from(), in.peerCertSubject());
      m.reply(403);
      return;
    }
    EventBus bus = vertx.eventBus();
    for (raftsimple.core.msg.Message msg : env.messages()) {
      if (msg.to().equals(config.nodeId())) {
        bus.send(Addresses.PEER_IN, msg, Addresses.LOCAL);
      }
    }
    m.reply(204);
  }

  private void registerMeters(String peer) {
    gauge("raftsimple_peer_outbox_messages", "Messages queued for a peer", peer, PeerLink::queued);
    gauge("raftsimple_peer_reachable", "1 while the link to a peer is up", peer,
        l -> Boolean.TRUE.equals(reachability.reported(peer)) ? 1 : 0);
    counter("raftsimple_peer_messages_sent", "Messages written to a peer's link", peer,
        PeerLink::messagesSent);
    counter("raftsimple_peer_frames_sent", "Frames (envelopes) written to a peer's link", peer,
        PeerLink::framesSent);
    counter("raftsimple_peer_messages_dropped", "Messages dropped because a peer's queue was full",
        peer, PeerLink::dropped);
    counter("raftsimple_peer_connects", "Connections opened to a peer", peer, PeerLink::connects);
  }

  // The meters read the peer's current link (it is replaced when the peer's URL changes); counts
  // of a replaced link are lost, which a counter tolerates as a reset.
  private void gauge(String name, String help, String peer, ToDoubleFunction<PeerLink> f) {
    Gauge.builder(name, this, t -> t.read(peer, f)).description(help)
        .tag("peer", peer).tag("transport", "https").register(registry);
  }

  private void counter(String name, String help, String peer, ToDoubleFunction<PeerLink> f) {
    FunctionCounter.builder(name, this, t -> t.read(peer, f)).description(help)
        .tag("peer", peer).tag("transport", "https").register(registry);
  }

  private double read(String peer, ToDoubleFunction<PeerLink> f) {
    PeerLink link = links.get(peer);
    return link == null ? 0 : f.applyAsDouble(link);
  }

  /** The link to {@code peer}, for tests. */
  PeerLink link(String peer) {
    return links.get(peer);
  }

  @Override
  public Future<?> stop() {
    links.values().forEach(PeerLink::close);
    Future<Void> closed = streams == null ? Future.succeededFuture() : streams.close();
    if (posts != null) {
      posts.close();
    }
    return closed;
  }
}
