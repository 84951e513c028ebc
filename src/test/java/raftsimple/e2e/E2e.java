package raftsimple.e2e;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The shared harness, a JUnit extension: a temporary directory, TLS material from
 * deploy/gen-certs.sh, node configs on free loopback ports, node processes and TCP proxies. Register
 * it as an instance field ({@code @RegisterExtension final E2e e2e = new E2e();}: everything is torn
 * down after each test) or a static one (torn down after the class). When a test fails, the tail of
 * every node's log is printed. Teardown kills every process it started, checks that no
 * raftsimple.jar process is left among this JVM's descendants, closes the proxies and deletes the
 * directory (kept with {@code -De2e.keep=true}).
 */
final class E2e implements BeforeAllCallback, AfterEachCallback, AfterAllCallback {
  /** Every process any harness started, for the JVM shutdown hook (a last resort). */
  private static final Set<Process> ALL = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> ALL.forEach(Process::destroyForcibly)));
  }

  static final int HEAD_TIMEOUT_MS = 500;
  /**
   * Generous on purpose: tests that demand 201 for every request run three JVMs and the clients on
   * a 2-core machine, often shared with other builds (load averages of 10-25 were seen); there a
   * few requests took 3-6 s while the cluster was healthy, only because nothing got the CPU. A node
   * whose 503 deadline is under test gets its own smaller value.
   */
  static final int REQUEST_TIMEOUT_MS = 10_000;

  private final List<Process> processes = new ArrayList<>();
  private final List<NodeProcess> nodes = new ArrayList<>();
  private final List<TcpProxy> proxies = new ArrayList<>();
  private boolean classScoped;
  private boolean tls = true;
  private List<String> nodeJvmOptions = List.of();
  private Path dir;
  private Path certs;
  private Api api;

  static Path projectDir() {
    return Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
  }

  static Path jar() {
    Path jar = projectDir().resolve("target/raftsimple.jar");
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar + " is missing: run mvn package first (failsafe runs after it)");
    }
    return jar;
  }

  /** Plain HTTP for this harness's nodes (call before creating any). */
  E2e plainHttp() {
    if (api != null) {
      throw new IllegalStateException("plainHttp() must come before the first node");
    }
    tls = false;
    return this;
  }

  /**
   * Extra JVM options for this harness's nodes, after {@link NodeProcess#JVM_OPTIONS} (call before
   * starting any): e.g. a system property that a library reads, to reach a slow path sooner.
   */
  synchronized E2e nodeJvmOptions(String... options) {
    if (!nodes.isEmpty()) {
      throw new IllegalStateException("nodeJvmOptions() must come before the first node");
    }
    nodeJvmOptions = List.of(options);
    return this;
  }

  synchronized List<String> nodeJvmOptions() {
    return nodeJvmOptions;
  }

  synchronized Path dir() {
    if (dir == null) {
      try {
        dir = Files.createTempDirectory("raftsimple-e2e-");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return dir;
  }

  /** The certificate directory (CA, n1..n5), generated on first use; skips without openssl. */
  synchronized Path certs() {
    if (certs == null) {
      Tls.assumeOpenssl();
      Path c = dir().resolve("certs");
      try {
        Tls.generate(c, "n1", "n2", "n3", "n4", "n5");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
      certs = c;
    }
    return certs;
  }

  /** The client every test uses: trusts the test CA, presents no certificate. */
  synchronized Api api() {
    if (api == null) {
      try {
        api = new Api(tls ? Tls.trusting(certs().resolve("ca.crt")) : null);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }
    return api;
  }

  /**
   * A client that presents member {@code id}'s certificate (signed by the test CA), as an operator
   * does for membership changes under mutual TLS ({@code deploy/local-cluster.sh remove} uses n1's).
   */
  Api memberApi(String id) {
    if (!tls) {
      return api();
    }
    Path c = certs();
    try {
      return new Api(Tls.withClientCert(c.resolve("ca.crt"), c.resolve(id + ".crt"), c.resolve(id + ".key")));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  String scheme() {
    return tls ? "https" : "http";
  }

  URI url(int port) {
    return URI.create(scheme() + "://127.0.0.1:" + port);
  }

  /** A peer entry for a config: its id and the URL (host:port) it is reached at. */
  record Peer(String id, int port) {}

  /**
   * Writes {@code <dir>/<id>.json} and returns the (not yet started) node. The config has the
   * harness defaults (127.0.0.1, data in {@code <dir>/data/<id>}, small head and request timeouts,
   * the generated certificates), then {@code extra}'s keys on top.
   */
  NodeProcess node(String id, int port, List<Peer> peers, ObjectNode extra) {
    Api client = api();
    ObjectNode c = Api.JSON.createObjectNode();
    c.put("nodeId", id);
    c.put("host", "127.0.0.1");
    c.put("port", port);
    Path data = dir().resolve("data").resolve(id);
    c.put("dataDir", data.toString());
    ArrayNode ps = c.putArray("peers");
    for (Peer p : peers) {
      ps.addObject().put("id", p.id()).put("url", url(p.port()).toString());
    }
    c.put("headTimeoutMs", HEAD_TIMEOUT_MS);
    c.put("requestTimeoutMs", REQUEST_TIMEOUT_MS);
    ObjectNode t = c.putObject("tls");
    t.put("enabled", tls);
    if (tls) {
      t.put("certPath", certs().resolve(id + ".crt").toString());
      t.put("keyPath", certs().resolve(id + ".key").toString());
      t.put("caPath", certs().resolve("ca.crt").toString());
    }
    if (extra != null) {
      c.setAll(extra);
    }
    Path conf = dir().resolve(id + ".json");
    try {
      Files.writeString(conf, c.toPrettyString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    NodeProcess n = new NodeProcess(this, id, port, url(port), conf, data, dir(), client);
    synchronized (this) {
      nodes.add(n);
    }
    return n;
  }

  /**
   * A node that another tool starts and stops (deploy/local-cluster.sh), for {@link Writers} and
   * the checks, which need only its id and URL; the harness does not start, track or kill it.
   */
  NodeProcess external(String id, int port, Path workDir, Api client) {
    return new NodeProcess(this, id, port, url(port), null, null, workDir, client);
  }

  /** A one-node cluster {@code n1} on a free port, started. */
  NodeProcess single(ObjectNode extra) {
    return node("n1", Ports.free(1)[0], List.of(), extra).start();
  }

  /**
   * {@code n} nodes n1..nN on free ports, started and serving. With {@code proxied}, every peer
   * link i→j goes through its own {@link TcpProxy} (node i's config names the proxy's port for
   * peer j), so links can be cut; clients still talk to the nodes' own ports.
   */
  Cluster cluster(int n, boolean proxied, ObjectNode extra) {
    return clusterPerNode(n, proxied, k -> extra);
  }

  /** As above, with config keys per node ({@code extraFor.apply(k)} for node k, 1-based). */
  Cluster clusterPerNode(int n, boolean proxied, IntFunction<ObjectNode> extraFor) {
    return launchCluster(Ports.free(n), proxied, extraFor);
  }

  /**
   * {@code n} nodes n1..nN with {@code "transport": "eventbus"}, started and serving. Each node's
   * Hazelcast member binds its own free loopback port and lists the others' as
   * {@code eventbus.members}; {@code peers} keep their HTTPS URLs, which the config requires and
   * which name the voters. The event bus runs TLS with the same certificates. {@code extraFor}'s
   * keys (may return null) go on top.
   */
  Cluster eventBusCluster(int n, IntFunction<ObjectNode> extraFor) {
    // One allocation for both kinds of port: separate ones could hand out the same port twice.
    int[] ports = Ports.free(2 * n);
    int[] busPorts = Arrays.copyOfRange(ports, n, 2 * n);
    return launchCluster(Arrays.copyOf(ports, n), false, k -> {
      ObjectNode c = Api.JSON.createObjectNode().put("transport", "eventbus");
      ObjectNode eb = c.putObject("eventbus").put("host", "127.0.0.1").put("port", busPorts[k - 1]);
      ArrayNode members = eb.putArray("members");
      for (int j = 1; j <= n; j++) {
        if (j != k) {
          members.add("127.0.0.1:" + busPorts[j - 1]);
        }
      }
      ObjectNode extra = extraFor.apply(k);
      if (extra != null) {
        c.setAll(extra);
      }
      return c;
    });
  }

  /**
   * The config keys of an event-bus node: {@code "transport": "eventbus"} and its Hazelcast member on
   * the loopback port {@code busPort}, finding the cluster at {@code memberBusPorts} (none for a
   * founder of a one-node cluster, any member's for a node that joins).
   */
  static ObjectNode eventBus(int busPort, int... memberBusPorts) {
    ObjectNode c = Api.JSON.createObjectNode().put("transport", "eventbus");
    ObjectNode eb = c.putObject("eventbus").put("host", "127.0.0.1").put("port", busPort);
    ArrayNode members = eb.putArray("members");
    for (int p : memberBusPorts) {
      members.add("127.0.0.1:" + p);
    }
    return c;
  }

  /** Nodes on the given client ports (node k on {@code ports[k-1]}); see {@link #cluster}. */
  private Cluster launchCluster(int[] ports, boolean proxied, IntFunction<ObjectNode> extraFor) {
    int n = ports.length;
    TcpProxy[][] links = new TcpProxy[n][n];
    List<NodeProcess> members = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      List<Peer> peers = new ArrayList<>();
      for (int j = 0; j < n; j++) {
        if (i == j) {
          continue;
        }
        int port = ports[j];
        if (proxied) {
          links[i][j] = proxy("n" + (i + 1) + "->n" + (j + 1), ports[j]);
          port = links[i][j].port();
        }
        peers.add(new Peer("n" + (j + 1), port));
      }
      members.add(node("n" + (i + 1), ports[i], peers, extraFor.apply(i + 1)));
    }
    members.forEach(NodeProcess::launch);
    members.forEach(NodeProcess::awaitUp);
    members.forEach(NodeProcess::awaitReady);
    return new Cluster(api(), members, proxied ? links : null);
  }

  TcpProxy proxy(String name, int targetPort) {
    TcpProxy p = new TcpProxy(name, targetPort);
    synchronized (this) {
      proxies.add(p);
    }
    return p;
  }

  synchronized void track(Process p) {
    processes.add(p);
    ALL.add(p);
  }

  synchronized List<NodeProcess> nodes() {
    return List.copyOf(nodes);
  }

  // ---- JUnit lifecycle ----

  @Override
  public void beforeAll(ExtensionContext context) {
    classScoped = true; // only called for a static field
  }

  @Override
  public void afterEach(ExtensionContext context) {
    if (context.getExecutionException().isPresent()) {
      dumpLogs(context.getDisplayName());
    }
    if (!classScoped) {
      close();
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (context.getExecutionException().isPresent()) {
      dumpLogs(context.getDisplayName());
    }
    close();
  }

  private synchronized void dumpLogs(String test) {
    StringBuilder sb = new StringBuilder("\n===== " + test + " failed; node logs (" + dir + ") =====\n");
    for (NodeProcess n : nodes) {
      sb.append("----- ").append(n).append(n.alive() ? " (running)" : " (stopped)").append(" -----\n")
          .append(n.logTail(60));
    }
    System.err.println(sb);
  }

  /** Kills every process, checks for orphans, closes proxies, deletes the directory. */
  synchronized void close() {
    for (Process p : processes) {
      p.destroyForcibly();
    }
    for (Process p : processes) {
      try {
        p.waitFor(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    ALL.removeAll(processes);
    processes.clear();
    proxies.forEach(TcpProxy::close);
    proxies.clear();
    nodes.clear();
    // A node no harness tracks is an orphan; another live harness's nodes (a class-scoped cluster
    // next to a test's own nodes) are not.
    List<ProcessHandle> orphans = ProcessHandle.current().descendants()
        .filter(ProcessHandle::isAlive)
        .filter(h -> h.info().commandLine().orElse("").contains("raftsimple.jar"))
        .filter(h -> ALL.stream().noneMatch(p -> p.pid() == h.pid()))
        .toList();
    orphans.forEach(ProcessHandle::destroyForcibly);
    if (dir != null && !Boolean.getBoolean("e2e.keep")) {
      deleteTree(dir);
    }
    dir = null;
    certs = null;
    api = null;
    if (!orphans.isEmpty()) {
      throw new AssertionError("orphan node processes were left running: " + orphans.stream()
          .map(h -> h.pid() + " " + h.info().commandLine().orElse("?")).toList());
    }
  }

  private static void deleteTree(Path root) {
    try (Stream<Path> walk = Files.walk(root)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          System.err.println("cannot delete " + p + ": " + e);
        }
      });
    } catch (IOException e) {
      System.err.println("cannot delete " + root + ": " + e);
    }
  }
}
