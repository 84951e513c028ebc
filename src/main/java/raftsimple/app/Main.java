package raftsimple.app;

import io.vertx.core.Deployable;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.launcher.application.HookContext;
import io.vertx.launcher.application.VertxApplication;
import io.vertx.launcher.application.VertxApplicationHooks;
import java.io.PrintWriter;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
import raftsimple.build.BuildInfo;
import raftsimple.config.ConfigException;
import raftsimple.config.ConfigLoader;
import raftsimple.config.NodeConfig;
import raftsimple.config.TlsMaterial;

/**
 * The launcher: {@code java -jar raftsimple.jar [-conf file.json|'{...}']} runs a node ({@link
 * NodeCommandLine} checks the command line first: usage errors, {@code --help} and {@code
 * --version} end there), {@code java -jar raftsimple.jar ctl ...} the CLI ({@code
 * raftsimple.cli.Ctl}). Before Vert.x starts it reads and validates the config (exit 2 naming the key, variable or file), loads the TLS
 * material and creates the meter registry; then the stock Vert.x 5 launcher runs with these hooks:
 * Vert.x gets Micrometer metrics (and clustering for {@code transport: "eventbus"}) and the main
 * verticle is a {@link NodeVerticle} holding the validated {@link NodeResources}. A failed start
 * is mapped to an exit status by {@link Exits}; SIGTERM stops the node and exits 0.
 */
public final class Main extends VertxApplication implements VertxApplicationHooks {
  static {
    OneLineLogging.install();
  }

  private static final System.Logger LOG = System.getLogger(Main.class.getName());
  /**
   * The launcher logs a failed deployment with its stack trace; for a port in use that is ~20
   * frames around what {@link Exits} says in one line, so those records are dropped (held here:
   * java.util.logging keeps loggers only weakly, and the filter with them).
   */
  private static final java.util.logging.Logger LAUNCHER_LOG = quietOnBindFailures(
      java.util.logging.Logger.getLogger(VertxApplication.class.getName()));
  static final Duration CONFIG_TIMEOUT = Duration.ofSeconds(30);
  static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

  private final JsonObject conf;
  private final NodeResources resources;
  private final Function<NodeResources, List<Components.Component>> components;
  private volatile Vertx vertx;
  private volatile NodeVerticle node;
  private volatile Throwable startFailure;

  private Main(String[] args, JsonObject conf, NodeResources resources,
      Function<NodeResources, List<Components.Component>> components) {
    // hooks null: VertxApplication uses this object's hooks; print usage on a usage error
    // (status 2 from the command-line parser); never System.exit inside: run() maps the status.
    super(args, null, true, false);
    this.conf = conf;
    this.resources = resources;
    this.components = components;
  }

  public static void main(String[] args) {
    if (args.length > 0 && args[0].equals(CTL)) {
      // The CLI: never a node; its HTTP client's threads must not keep the JVM alive.
      System.exit(raftsimple.cli.Ctl.run(Arrays.copyOfRange(args, 1, args.length)));
    }
    int status = run(args);
    if (status != 0) {
      System.exit(status);
    }
    // Status 0: the node runs on Vert.x's threads, which keep the JVM alive until SIGTERM (after
    // --help or --version nothing was started, and the JVM ends here).
  }

  /** The first argument that makes the rest a CLI command line ({@code raftsimple.cli.Ctl}). */
  static final String CTL = "ctl";

  /** Validates, starts and returns 0 (running, or --help/--version) or the exit status of a failed start. */
  static int run(String[] args) {
    PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
    PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
    // Before anything else: a usage error, --help or --version reads, creates and starts nothing.
    NodeCommandLine.Parsed cl = NodeCommandLine.parse(args, out, err);
    if (cl.exit().isPresent()) {
      return cl.exit().get();
    }
    Main app;
    try {
      app = prepare(cl.conf(), Components::forNode);
    } catch (ConfigException e) {
      return Exits.configError(e);
    }
    Signals.onTerm(app::stopOnSignal);
    return app.start();
  }

  /**
   * Reads and validates the config ({@code confArgument}: the {@code -conf} value, a file or inline
   * JSON, or null for the defaults), loads TLS material; nothing is started yet.
   */
  static Main prepare(String confArgument,
      Function<NodeResources, List<Components.Component>> components) {
    JsonObject conf = confArgument == null ? new JsonObject()
        : ConfigLoader.readConfArgument(confArgument);
    NodeConfig config = ConfigLoader.loadBlocking(conf, CONFIG_TIMEOUT);
    NodeResources resources =
        new NodeResources(config, TlsMaterial.load(config), Metrics.newRegistry());
    return new Main(launcherArgs(config), conf, resources, components);
  }

  /**
   * The launcher's own command line: the config was read and validated above (and is handed to it
   * by {@link #afterConfigParsed}), so it only needs {@code -cluster} to build a clustered Vert.x
   * for the eventbus transport.
   */
  private static String[] launcherArgs(NodeConfig config) {
    return Clustering.clustered(config) ? new String[] {"-cluster"} : new String[0];
  }

  /** Runs the launcher; 0 when the node is up, else the exit status (message printed). */
  int start() {
    int status = launch();
    NodeConfig c = resources.config();
    return status == 0 ? 0 : Exits.startFailure(status, startFailure, c.host() + ":" + c.port());
  }

  /** Stops components in reverse order, then Vert.x, within {@code timeout}; 0 when clean. */
  int stop(Duration timeout) {
    Vertx v = vertx;
    if (v == null) {
      return 0;
    }
    NodeVerticle n = node;
    Future<Void> stopped = (n == null ? Future.<Void>succeededFuture() : n.stopComponents())
        .eventually(v::close);
    try {
      stopped.toCompletionStage().toCompletableFuture()
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return 0;
    } catch (ExecutionException e) {
      LOG.log(Level.ERROR, "stopping failed: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      LOG.log(Level.ERROR, "the node did not stop within " + timeout.toSeconds() + " s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 1;
  }

  private void stopOnSignal() {
    LOG.log(Level.INFO, "SIGTERM: stopping components in reverse order, then Vert.x (at most {0} s)",
        STOP_TIMEOUT.toSeconds());
    int status = stop(STOP_TIMEOUT);
    LOG.log(Level.INFO, "stopped; exiting with status {0}", status);
    System.exit(status);
  }

  NodeResources resources() {
    return resources;
  }

  Vertx vertx() {
    return vertx;
  }

  private static java.util.logging.Logger quietOnBindFailures(java.util.logging.Logger logger) {
    logger.setFilter(r -> !Exits.isBindFailure(r.getThrown()));
    return logger;
  }

  // ---- VertxApplicationHooks ----

  /** The launcher would fall back to {} on a missing or broken file; use what was validated. */
  @Override
  public JsonObject afterConfigParsed(JsonObject launcherConf) {
    return conf;
  }

  @Override
  public VertxBuilder createVertxBuilder(VertxOptions options) {
    NodeConfig config = resources.config();
    options.setEventLoopPoolSize(config.limits().eventLoops());
    if (Clustering.clustered(config)) {
      Clustering.prepare(options, config);
    }
    VertxBuilder builder = Metrics.builder(options, resources.registry());
    return Clustering.clustered(config)
        ? builder.withClusterManager(Clustering.clusterManager(config))
        : builder;
  }

  @Override
  public void afterVertxStarted(HookContext context) {
    vertx = context.vertx();
  }

  @Override
  public void afterFailureToStartVertx(HookContext context, Throwable t) {
    startFailure = t;
  }

  @Override
  public Supplier<? extends Deployable> verticleSupplier() {
    return () -> {
      NodeVerticle created = new NodeVerticle(resources, components);
      node = created;
      return created;
    };
  }

  @Override
  public void afterVerticleDeployed(HookContext context) {
    NodeConfig c = resources.config();
    LOG.log(Level.INFO, "raftsimple node {0} started on {1}://{2}:{3,number,#}, version {4}",
        c.nodeId(), resources.tls().scheme(), c.host(), c.port(), BuildInfo.current().describe());
  }

  @Override
  public void afterFailureToDeployVerticle(HookContext context, Throwable t) {
    startFailure = t;
  }
}
