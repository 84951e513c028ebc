package raftsimple.log;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import raftsimple.config.NodeConfig;
import raftsimple.core.msg.Membership;
import raftsimple.statemachine.Json;

/**
 * A node started with {@code join} and an empty data dir asks an existing member to add it
 * ({@code POST /cluster/members}, committed through the log) and starts from the membership it is
 * given. Tries each candidate URL in turn, for up to {@link #DEADLINE_MS}, so a cluster still
 * starting is waited for; a refusal (4xx other than 503) ends it at once with the cluster's reason.
 */
final class Joiner {
  private static final System.Logger LOG = System.getLogger(Joiner.class.getName());
  static final long DEADLINE_MS = 30_000;

  private final Vertx vertx;
  private final NodeConfig config;
  private final WebClient client;
  private final List<String> candidates;
  private final long deadline;
  private String lastProblem = "no member answered";

  Joiner(Vertx vertx, NodeConfig config, WebClientOptions options) {
    this.vertx = vertx;
    this.config = config;
    this.client = WebClient.create(vertx, new WebClientOptions(options).setConnectTimeout(3_000));
    this.candidates = new ArrayList<>();
    if (config.join() != null) {
      candidates.add(config.join());
    }
    for (NodeConfig.Peer p : config.peers()) {
      candidates.add(p.url());
    }
    this.deadline = System.currentTimeMillis() + DEADLINE_MS;
  }

  /** This node's URL as peers and clients reach it. */
  static String selfUrl(NodeConfig config) {
    return (config.tls().enabled() ? "https" : "http") + "://" + config.host() + ":" + config.port();
  }

  Future<Membership> join() {
    Promise<Membership> p = Promise.promise();
    attempt(0, p);
    return p.future().eventually(() -> {
      client.close();
      return Future.succeededFuture();
    });
  }

  private void attempt(int i, Promise<Membership> p) {
    if (System.currentTimeMillis() > deadline) {
      p.fail(new JoinFailedException("could not join the cluster through " + candidates + " within "
          + DEADLINE_MS / 1000 + " s: " + lastProblem));
      return;
    }
    String url = candidates.get(i % candidates.size());
    ObjectNode body = Json.NODES.objectNode();
    body.put("id", config.nodeId());
    body.put("url", selfUrl(config));
    body.put("role", config.readOnly() ? "read-only" : "voter");
    client.postAbs(url.replaceAll("/+$", "") + "/cluster/members").timeout(15_000)
        .putHeader("content-type", "application/json")
        .sendBuffer(Buffer.buffer(Json.compact(body)))
        .onComplete(ar -> {
          if (ar.succeeded() && (ar.result().statusCode() == 201 || ar.result().statusCode() == 200)) {
            try {
              JsonNode reply = Json.parse(ar.result().body().getBytes());
              Membership m = MembershipJson.fromJson(reply.get("membership"));
              LOG.log(Level.INFO, "node {0}: joined through {1}: {2}", config.nodeId(), url, m);
              p.complete(m);
            } catch (RuntimeException e) {
              p.fail(new JoinFailedException(url + " is not a raftsimple member (unexpected reply: "
                  + e.getMessage() + ")"));
            }
            return;
          }
          if (ar.succeeded() && ar.result().statusCode() / 100 == 4) {
            p.fail(new JoinFailedException(url + " refused to add this node: HTTP "
                + ar.result().statusCode() + " " + ar.result().bodyAsString()));
            return;
          }
          lastProblem = url + ": " + (ar.succeeded() ? "HTTP " + ar.result().statusCode() + " "
              + ar.result().bodyAsString() : String.valueOf(ar.cause()));
          LOG.log(Level.WARNING, "node {0}: join attempt failed ({1}); retrying", config.nodeId(), lastProblem);
          vertx.setTimer(500, id -> attempt(i + 1, p));
        });
  }
}
