package raftsimple.ingress;

import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;

/**
 * Creates a route whose first handler labels the request with its path template, the route label of
 * the client metrics (templates, not raw paths, keep the label set bounded).
 */
@FunctionalInterface
interface RouteFactory {
  Route route(HttpMethod method, String template);
}
