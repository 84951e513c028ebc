package raftsimple.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One node as a real child process: {@code java -Xmx256m -jar target/raftsimple.jar -conf <file>},
 * stdout and stderr appended to {@code <id>.out} and {@code <id>.err} in the test's directory (one
 * pair of files across restarts). Every process it starts is reaped by {@link E2e}.
 */
final class NodeProcess {
  static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  static final Duration EXIT_TIMEOUT = Duration.ofSeconds(30);
  /**
   * Options for the nodes' JVMs: the serial GC and C1 only (no C2 compiler threads), which halves
   * a node's start on a small machine where several JVMs start at once. {@code -De2e.nodeJvm=...}
   * replaces them.
   */
  static final String JVM_OPTIONS = System.getProperty("e2e.nodeJvm", "-XX:+UseSerialGC -XX:TieredStopAtLevel=1");

  final String id;
  final int port;
  final URI url;
  final Path conf;
  final Path dataDir;
  final Path out;
  final Path err;
  private final Path workDir;
  private final Api api;
  private final E2e owner;
  private Process process;
  private int starts;

  NodeProcess(E2e owner, String id, int port, URI url, Path conf, Path dataDir, Path workDir, Api api) {
    this.owner = owner;
    this.id = id;
    this.port = port;
    this.url = url;
    this.conf = conf;
    this.dataDir = dataDir;
    this.workDir = workDir;
    this.api = api;
    this.out = workDir.resolve(id + ".out");
    this.err = workDir.resolve(id + ".err");
  }

  /** Launches the process (without waiting for it to serve). */
  synchronized NodeProcess launch() {
    if (process != null && process.isAlive()) {
      throw new IllegalStateException(id + " is already running (pid " + process.pid() + ")");
    }
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m"));
    command.addAll(List.of(JVM_OPTIONS.trim().split("\\s+")));
    command.addAll(owner.nodeJvmOptions());
    command.addAll(List.of("-jar", E2e.jar().toString(), "-conf", conf.toString()));
    ProcessBuilder pb = new ProcessBuilder(command)
        .directory(workDir.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
        .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()))
        .redirectError(ProcessBuilder.Redirect.appendTo(err.toFile()));
    pb.environment().keySet().removeIf(k -> k.startsWith("RAFTSIMPLE_"));
    try {
      marker("---- start #" + (++starts) + " ----");
      process = pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + id, e);
    }
    owner.track(process);
    return this;
  }

  /** Launches and waits until {@code GET /health} answers 200. */
  NodeProcess start() {
    launch();
    return awaitUp();
  }

  /** Waits (bounded) until {@code GET /health} answers 200; fails early if the process exits. */
  NodeProcess awaitUp() {
    Process p = process;
    Await.until(id + " to answer /health", START_TIMEOUT, () -> {
      if (!p.isAlive()) {
        throw new AssertionError(id + " exited with " + p.exitValue() + " while starting:\n" + logTail(40));
      }
      try {
        return api.get(url, "/health").status() == 200;
      } catch (IOException notYet) {
        return false;
      }
    });
    return this;
  }

  /** Waits (bounded) until {@code GET /ready} answers 200: caught up with the cluster, serving. */
  NodeProcess awaitReady() {
    Process p = process;
    Await.until(id + " to answer /ready with 200", START_TIMEOUT, () -> {
      if (!p.isAlive()) {
        throw new AssertionError(id + " exited with " + p.exitValue() + ":\n" + logTail(40));
      }
      return api.get(url, "/ready").status() == 200;
    });
    return this;
  }

  /** SIGKILL; returns the exit status (137). */
  int kill() {
    process.destroyForcibly();
    return awaitExit();
  }

  /**
   * SIGSTOP: the process freezes whole (every thread, its Hazelcast member included) while the
   * kernel keeps its sockets open, so peers see a node that has gone silent, not one that left.
   */
  void pause() {
    signal("STOP");
  }

  /** SIGCONT: a {@link #pause}d process runs on from where it stopped. */
  void resume() {
    signal("CONT");
  }

  private void signal(String name) {
    // ProcessHandle can only terminate; kill(1) sends any signal, to this pid only.
    try {
      Process k = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid()))
          .redirectErrorStream(true).start();
      String said = new String(k.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!k.waitFor(10, TimeUnit.SECONDS) || k.exitValue() != 0) {
        throw new AssertionError("kill -" + name + " " + process.pid() + " failed: " + said);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run kill", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** SIGTERM; returns the exit status once the process has ended. */
  int term() {
    process.destroy();
    return awaitExit();
  }

  /** Waits (bounded) for the process to end by itself; returns its status. */
  int awaitExit() {
    try {
      if (!process.waitFor(EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly().waitFor(EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        throw new AssertionError(id + " did not exit within " + EXIT_TIMEOUT.toSeconds() + " s:\n" + logTail(40));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
    return process.exitValue();
  }

  /** SIGTERM (must exit 0), then start again on the same data. */
  NodeProcess restart() {
    int status = term();
    if (status != 0) {
      throw new AssertionError(id + " exited with " + status + " on SIGTERM:\n" + logTail(40));
    }
    return start();
  }

  boolean alive() {
    return process != null && process.isAlive();
  }

  long pid() {
    return process.pid();
  }

  /** Everything the node wrote to stderr (all starts). */
  String stderr() {
    return read(err);
  }

  /** Everything the node wrote to stdout and stderr (all starts). */
  String output() {
    return read(out) + read(err);
  }

  /** The last {@code lines} lines of stdout and of stderr. */
  String logTail(int lines) {
    return "== " + out + " ==\n" + tail(read(out), lines) + "== " + err + " ==\n" + tail(read(err), lines);
  }

  private void marker(String line) throws IOException {
    for (Path p : List.of(out, err)) {
      Files.writeString(p, line + "\n", StandardCharsets.UTF_8,
          java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    }
  }

  private static String read(Path p) {
    try {
      return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "(cannot read " + p + ": " + e + ")\n";
    }
  }

  private static String tail(String text, int lines) {
    String[] all = text.split("\n", -1);
    int from = Math.max(0, all.length - lines - 1);
    StringBuilder sb = new StringBuilder();
    for (int i = from; i < all.length; i++) {
      if (!all[i].isEmpty() || i < all.length - 1) {
        sb.append(all[i]).append('\n');
      }
    }
    return sb.toString();
  }

  @Override
  public String toString() {
    return id + "@" + url;
  }
}
