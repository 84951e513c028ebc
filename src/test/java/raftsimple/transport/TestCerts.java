package raftsimple.transport;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Certificates from deploy/gen-certs.sh for the transport tests (skipped when openssl is missing),
 * and free loopback ports for the servers that cannot take port 0 (Hazelcast).
 */
public final class TestCerts {
  private TestCerts() {}

  /** Runs gen-certs.sh into {@code dir} for {@code names}; the CA is {@code dir/ca.crt}. */
  public static Path generate(Path dir, String... names) throws IOException, InterruptedException {
    assumeTrue(opensslPresent(), "openssl is not installed");
    List<String> command = new ArrayList<>(List.of("bash", "deploy/gen-certs.sh", "-o", dir.toString()));
    command.addAll(List.of(names));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IllegalStateException("gen-certs.sh failed: " + out);
    }
    return dir;
  }

  private static boolean opensslPresent() {
    try {
      return new ProcessBuilder("openssl", "version").redirectErrorStream(true).start().waitFor() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * A loopback port that was free a moment ago. Only for servers that cannot bind port 0 and
   * report it (Hazelcast); callers retry with fresh ports when a bind fails anyway.
   */
  public static int freePort() {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(false);
      s.bind(new InetSocketAddress("127.0.0.1", 0));
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException("no free loopback port", e);
    }
  }
}
