package raftsimple.ingress;

import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.handler.StaticHandler;

/**
 * The web dashboard (docs/DASHBOARD.md): {@code GET /ui/} serves the static page, script and style
 * from the jar ({@value #WEB_ROOT} on the classpath; no build step, nothing from other origins), and
 * {@code GET /ui} redirects there so that the page's relative links resolve. The page itself only
 * calls this node's API: {@code /cluster}, {@code /head}, {@code /metrics}, {@code /watch} and
 * {@code POST /entries}.
 *
 * <p>Every answer carries a Content-Security-Policy that allows this origin only, so the page
 * cannot be made to load or send anything elsewhere, nor be framed by another site.
 */
final class UiRoutes {
  static final String PATH = "/ui";
  static final String WEB_ROOT = "raftsimple/ui";
  static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
      + "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

  void mount(RouteFactory routes) {
    routes.route(HttpMethod.GET, PATH).handler(ctx -> {
      if (ctx.request().path().endsWith("/")) {
        ctx.next(); // the route also matches "/ui/", which the files below serve
        return;
      }
      ctx.response().setStatusCode(301).putHeader("Location", PATH + "/").end();
    });
    StaticHandler files = StaticHandler.create(WEB_ROOT)
        .setIndexPage("index.html")
        .setDirectoryListing(false)
        .setMaxAgeSeconds(60)
        .setSendVaryHeader(false);
    routes.route(HttpMethod.GET, PATH + "/*").handler(ctx -> {
      ctx.response()
          .putHeader("Content-Security-Policy", CSP)
          .putHeader("X-Content-Type-Options", "nosniff")
          .putHeader("Referrer-Policy", "no-referrer");
      ctx.next();
    }).handler(files);
  }
}
