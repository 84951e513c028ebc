package raftsimple.transport.https;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import raftsimple.bus.Addresses;
import raftsimple.bus.BusApi;
import raftsimple.bus.LocalCodec;
import raftsimple.config.NodeConfig;
import raftsimple.transport.PeerOutbox;
import raftsimple.transport.WireCodec;
import raftsimple.transport.WireFormatException;

/**
 * Peer transport over HTTP(S): protocol messages from the log verticle
 * ({@link Addresses#PEER_OUT}) are batched per peer and POSTed to {@code <peer url>/peer/messages}
 * through a keep-alive connection pool, with mutual TLS when TLS is on. Inbound batches arrive on the
 * client port, where the ingress checks the client certificate and hands the body over on
 * {@link Addresses#PEER_HTTP_INBOUND}; this verticle decodes them and passes each message to the log
 * verticle ({@link Addresses#PEER_IN}). Nothing here blocks; delivery is best effort (docs/TRANSPORTS.md).
 */
public final class HttpsTransportVerticle extends VerticleBase {
  private static final System.Logger LOG = System.getLogger(HttpsTransportVerticle.class.getName());
  static final String PATH = "/peer/messages";
  private static final int QUEUE_MAX = 10_000;
  private static final int BATCH_MAX = 256;
  private static final long SEND_TIMEOUT_MS = 5_000;
  /** What a node running another transport answers on /peer/messages (Misdirected Request). */
  static final int MISDIRECTED = 421;

  private final NodeConfig config;
  private final WebClientOptions clientOptions;
  private final Map<String, PeerOutbox> outboxes = new TreeMap<>();
  private final Map<String, String> urls = new TreeMap<>();
  private WebClient client;

  public HttpsTransportVerticle(NodeConfig config, WebClientOptions clientOptions) {
    this.config = config;
    this.clientOptions = clientOptions;
  }

  @Override
  public Future<?> start() {
    LocalCodec.registerAll(vertx.eventBus());
    client = WebClient.create(vertx,
        new WebClientOptions(clientOptions).setKeepAlive(true).setConnectTimeout(2_000).setIdleTimeout(60),
        new PoolOptions().setHttp1MaxSize(2));
    for (NodeConfig.Peer p : config.peers()) {
      addPeer(p.id(), p.url());
    }
    EventBus bus = vertx.eventBus();
    bus.<BusApi.Members>localConsumer(Addresses.MEMBERS, m -> onMembers(m.body()));
    bus.<raftsimple.core.msg.Message>localConsumer(Addresses.PEER_OUT, this::onOutbound);
    bus.<BusApi.PeerHttpBody>localConsumer(Addresses.PEER_HTTP_INBOUND, this::onInbound);
    // The log verticle started first and knows the membership (possibly changed since the config
    // file was written): start from it.
    return bus.<com.fasterxml.jackson.databind.node.ObjectNode>request(Addresses.LOG_QUERY,
            new BusApi.Query(BusApi.Query.Kind.CLUSTER, null, 0, 0),
            Addresses.local(10_000))
        .onSuccess(reply -> {
          java.util.List<raftsimple.core.Membership.Member> ms = new java.util.ArrayList<>();
          for (com.fasterxml.jackson.databind.JsonNode m : reply.body().path("members")) {
            ms.add(new raftsimple.core.Membership.Member(m.path("id").asText(),
                m.path("url").asText(), raftsimple.core.Membership.Role.VOTER));
          }
          onMembers(new BusApi.Members(reply.body().path("membershipVersion").asLong(), ms));
        })
        .otherwiseEmpty();
  }

  private void addPeer(String id, String url) {
    urls.put(id, url);
    outboxes.put(id, new PeerOutbox(vertx, id, QUEUE_MAX, BATCH_MAX, batch -> post(url, batch)));
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
    for (raftsimple.core.Membership.Member m : members.members()) {
      if (m.id().equals(config.nodeId())) {
        continue;
      }
      String url = m.url().isEmpty() ? urls.get(m.id()) : m.url();
      if (url != null && !url.equals(urls.get(m.id()))) {
        addPeer(m.id(), url);
      }
    }
  }

  private void onOutbound(Message<raftsimple.core.msg.Message> m) {
    PeerOutbox box = outboxes.get(m.body().to());
    if (box != null) {
      box.add(m.body());
    }
  }

  private Future<?> post(String url, List<raftsimple.core.msg.Message> batch) {
    Buffer body = Buffer.buffer(WireCodec.encode(config.nodeId(), batch));
    return client.postAbs(url + PATH)
        .timeout(SEND_TIMEOUT_MS)
        .putHeader("content-type", "application/json")
        .sendBuffer(body)
        .compose(resp -> resp.statusCode() / 100 == 2 ? Future.succeededFuture()
            : Future.failedFuture(url + " answered " + resp.statusCode() + " " + resp.bodyAsString()
                + hint(resp.statusCode())));
  }

  /** 421: the peer runs another transport (docs/TRANSPORTS.md §2.3); say so in the log. */
  private static String hint(int status) {
    return status != MISDIRECTED ? "" : " - that node takes no peer messages over HTTPS: it runs "
        + "another transport (e.g. eventbus); every node of a cluster must use the same transport";
  }

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
    if (!urls.containsKey(env.from())) {
      LOG.log(System.Logger.Level.WARNING, "message from unknown node {0} refused", env.from());
      m.reply(403);
      return;
    }
    if (in.peerCertSubject() != null && !certNames(in.peerCertSubject(), env.from())) {
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

  /** True when the certificate subject's common name is the sender's node id (CN=n1, ...). */
  static boolean certNames(String subject, String nodeId) {
    for (String part : subject.split(",")) {
      String p = part.trim();
      if (p.regionMatches(true, 0, "CN=", 0, 3)) {
        return p.substring(3).trim().equals(nodeId);
      }
    }
    return false;
  }

  @Override
  public Future<?> stop() {
    return client == null ? Future.succeededFuture() : Future.future(p -> {
      client.close();
      p.complete();
    });
  }
}
