package raftsimple.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Drives {@code deploy/local-cluster.sh} in its own RUN_DIR with TLS on consecutive free ports
 * (node K on {@code basePort + K - 1}). The script starts its nodes in the background, detached
 * from this JVM (they are not its descendants), so {@link #killLeftovers()} must run in every
 * test's teardown: it kills each node whose pid file this run directory holds.
 */
final class LocalClusterScript {
  static final long TIMEOUT_S = 180;

  final Path runDir;
  final int basePort;
  private int calls;

  LocalClusterScript(Path runDir, int basePort) {
    this.runDir = runDir;
    this.basePort = basePort;
  }

  int port(int k) {
    return basePort + k - 1;
  }

  /** One run of the script: its exit status and everything it printed. */
  record Result(String command, int status, String output) {
    @Override
    public String toString() {
      return "local-cluster.sh " + command + " exited " + status + ":\n" + output;
    }
  }

  /** Runs the script with {@code args}; fails if it does not end within {@link #TIMEOUT_S}. */
  Result run(String... args) throws IOException, InterruptedException {
    Files.createDirectories(runDir);
    Path out = runDir.resolve("script-" + (++calls) + ".out");
    List<String> command = new ArrayList<>(List.of("bash",
        E2e.projectDir().resolve("deploy/local-cluster.sh").toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(out.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().keySet().removeIf(k -> k.startsWith("RAFTSIMPLE_"));
    pb.environment().put("RUN_DIR", runDir.toString());
    pb.environment().put("BASE_PORT", Integer.toString(basePort));
    pb.environment().put("TLS", "1");
    pb.environment().put("JAR", E2e.jar().toString());
    pb.environment().put("START_TIMEOUT", "90");
    Process p = pb.start();
    if (!p.waitFor(TIMEOUT_S, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      throw new AssertionError("local-cluster.sh " + String.join(" ", args) + " did not end within "
          + TIMEOUT_S + " s:\n" + Files.readString(out, StandardCharsets.UTF_8));
    }
    return new Result(String.join(" ", args), p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
  }

  /** Runs the script and fails unless it exits 0; returns its output. */
  String ok(String... args) throws IOException, InterruptedException {
    Result r = run(args);
    if (r.status() != 0) {
      throw new AssertionError(r + "\n" + logTails(30));
    }
    return r.output();
  }

  /** The running java process of node K (from its pid file), if any. */
  Optional<ProcessHandle> process(int k) {
    Path pidFile = runDir.resolve("n" + k + ".pid");
    try {
      if (!Files.exists(pidFile)) {
        return Optional.empty();
      }
      String pid = Files.readString(pidFile, StandardCharsets.US_ASCII).trim();
      if (pid.isEmpty()) {
        return Optional.empty();
      }
      // Only ours: a java running this run directory's config (a pid may have been reused).
      String conf = runDir.resolve("n" + k + ".json").toString();
      return ProcessHandle.of(Long.parseLong(pid))
          .filter(ProcessHandle::isAlive)
          .filter(h -> h.info().commandLine().orElse("").contains(conf));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Kills (SIGKILL) every node of this run directory still running; returns their ids. */
  List<String> killLeftovers() {
    List<String> killed = new ArrayList<>();
    for (int k = 1; k <= 9; k++) {
      Optional<ProcessHandle> h = process(k);
      if (h.isPresent()) {
        h.get().destroyForcibly();
        try {
          h.get().onExit().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
          System.err.println("n" + k + " (pid " + h.get().pid() + ") did not end after SIGKILL: " + e);
        }
        killed.add("n" + k);
      }
    }
    return killed;
  }

  /** The last {@code lines} lines of each node's log (nK.log), for failure messages. */
  String logTails(int lines) {
    StringBuilder sb = new StringBuilder();
    for (int k = 1; k <= 9; k++) {
      Path log = runDir.resolve("n" + k + ".log");
      if (!Files.exists(log)) {
        continue;
      }
      try {
        List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
        sb.append("== ").append(log).append(" ==\n");
        all.subList(Math.max(0, all.size() - lines), all.size()).forEach(l -> sb.append(l).append('\n'));
      } catch (IOException e) {
        sb.append("(cannot read ").append(log).append(": ").append(e).append(")\n");
      }
    }
    return sb.toString();
  }
}
