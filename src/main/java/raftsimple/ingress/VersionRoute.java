package raftsimple.ingress;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.http.HttpMethod;
import raftsimple.build.BuildInfo;
import raftsimple.config.NodeConfig;

/**
 * {@code GET /version}: {@code {"version", "commit", "dirty", "nodeId", "java"}}, what this node
 * runs (the same as {@code java -jar raftsimple.jar --version} and the {@code raftsimple_build_info}
 * gauge), so that an operator can tell which nodes of a cluster an upgrade has reached.
 */
final class VersionRoute {
  private final NodeConfig config;

  VersionRoute(NodeConfig config) {
    this.config = config;
  }

  void mount(RouteFactory routes) {
    ObjectNode body = body(BuildInfo.current(), config.nodeId());
    routes.route(HttpMethod.GET, "/version").handler(ctx -> Replies.send(ctx, Reply.ok(body.deepCopy())));
  }

  static ObjectNode body(BuildInfo build, String nodeId) {
    ObjectNode o = Reply.object();
    o.put("version", build.version());
    o.put("commit", build.commit());
    o.put("dirty", build.dirty());
    o.put("nodeId", nodeId);
    o.put("java", System.getProperty("java.version"));
    return o;
  }
}
