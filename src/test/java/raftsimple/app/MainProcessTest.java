package raftsimple.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code java raftsimple.app.Main ...} as a real process (on the test classpath, which holds
 * target/classes and every dependency): exit statuses and messages of CONTRACT, and SIGTERM.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MainProcessTest {
  @TempDir Path dir;
  private final List<Process> started = new ArrayList<>();

  @AfterEach
  void killLeftovers() {
    started.forEach(Process::destroyForcibly);
  }

  private Process launch(Map<String, String> env, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Main.class.getName()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile())
        .redirectErrorStream(true);
    pb.environment().keySet().removeIf(k -> k.startsWith("RAFTSIMPLE_"));
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    started.add(p);
    return p;
  }

  /** Runs to the end; returns status and output. */
  private String[] runToExit(Map<String, String> env, String... args) throws Exception {
    Process p = launch(env, args);
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), out);
    return new String[] {Integer.toString(p.exitValue()), out};
  }

  private void assertConfigError(String[] result, String fragment) {
    assertEquals("2", result[0], result[1]);
    assertTrue(result[1].contains("raftsimple: config error: "), result[1]);
    assertTrue(result[1].contains(fragment), result[1]);
  }

  @Test
  void aMissingConfFileExits2NamingIt() throws Exception {
    Path missing = dir.resolve("nonexistent.json");
    assertConfigError(runToExit(Map.of(), "-conf", missing.toString()), missing.toString());
  }

  @Test
  void invalidJsonExits2NamingTheFile() throws Exception {
    Path bad = Files.writeString(dir.resolve("bad.json"), "{\"port\": 1,");
    assertConfigError(runToExit(Map.of(), "-conf", "bad.json"), bad + "': is not valid JSON");
  }

  @Test
  void anUnknownKeyExits2NamingIt() throws Exception {
    Files.writeString(dir.resolve("c.json"), "{\"tls\": {\"enabeld\": false}}");
    assertConfigError(runToExit(Map.of(), "-conf", "c.json"), "config key 'tls.enabeld'");
  }

  @Test
  void aBadEnvironmentValueExits2NamingTheVariable() throws Exception {
    assertConfigError(runToExit(Map.of("RAFTSIMPLE_HEAD_TIMEOUT_MS", "soon")),
        "environment variable RAFTSIMPLE_HEAD_TIMEOUT_MS: not an integer: \"soon\"");
  }

  @Test
  void versionExits0AndTouchesNothing() throws Exception {
    String[] r = runToExit(Map.of(), "--version");
    assertEquals("0", r[0], r[1]);
    assertTrue(r[1].startsWith("raftsimple "), r[1]);
    assertFalse(Files.exists(dir.resolve("data")), "--version must not create data/");
  }

  @Test
  void anUnknownOptionExits2NamingItAndCreatesNothing() throws Exception {
    String[] r = runToExit(Map.of(), "--version2");
    assertEquals("2", r[0], r[1]);
    assertTrue(r[1].contains("'--version2'"), r[1]);
    String[] stray = runToExit(Map.of(), "run");
    assertEquals("2", stray[0], stray[1]);
    assertTrue(stray[1].contains("'run'"), stray[1]);
    assertFalse(Files.exists(dir.resolve("data")), "a usage error must not create data/");
  }

  @Test
  void aPortInUseExits4WithOneLineNamingTheAddress() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      int port = taken.getLocalPort();
      String[] r = runToExit(Map.of("RAFTSIMPLE_PORT", Integer.toString(port)));
      assertEquals("4", r[0], r[1]);
      assertTrue(r[1].contains("raftsimple: cannot listen on 127.0.0.1:" + port + ": address already in use"), r[1]);
      assertFalse(r[1].contains("\tat "), "no stack trace: " + r[1]);
    }
  }

  @Test
  void withoutConfItRunsTheDefaultNodeAndSigtermExits0() throws Exception {
    // Defaults, except an ephemeral port so that the test never collides with a real node.
    Process p = launch(Map.of("RAFTSIMPLE_PORT", "0"));
    BufferedReader out = new BufferedReader(
        new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    StringBuilder log = new StringBuilder();
    String line;
    while ((line = out.readLine()) != null && !line.contains("raftsimple node n1 started on")) {
      log.append(line).append('\n');
    }
    assertTrue(line != null, "never started:\n" + log);
    assertTrue(line.contains("version " + raftsimple.build.BuildInfo.current().describe()), line);
    assertTrue(Files.isRegularFile(dir.resolve("data/tls/node.crt")), "self-signed in ./data");

    p.toHandle().destroy(); // SIGTERM on Unix; Process.destroy would also close our streams
    while ((line = out.readLine()) != null) {
      log.append(line).append('\n');
    }
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), log.toString());
    assertEquals(0, p.exitValue(), log.toString());
    assertTrue(log.toString().contains("SIGTERM: stopping"), log.toString());
  }
}
