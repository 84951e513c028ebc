package raftsimple.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletionException;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.Test;
import raftsimple.config.ConfigException;

class ExitsTest {
  private static final String ADDRESS = "127.0.0.1:6969";
  private String stderr;

  private int capture(IntSupplier call) {
    PrintStream original = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    System.setErr(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      return call.getAsInt();
    } finally {
      System.setErr(original);
      stderr = out.toString(StandardCharsets.UTF_8);
    }
  }

  @Test
  void configErrorIsStatus2WithThePrefix() {
    assertEquals(2, capture(() -> Exits.configError(ConfigException.atKey("port", "bad"))));
    assertEquals("raftsimple: config error: config key 'port': bad", stderr.strip());
  }

  @Test
  void fatalStartupExceptionIsFoundInTheCauseChain() {
    Throwable wrapped = new CompletionException(
        new IllegalStateException("log verticle", new FatalStartupException(2, "corrupt wal")));
    assertEquals(2, capture(() -> Exits.startFailure(15, wrapped, ADDRESS)));
    assertEquals("raftsimple: failed to start: corrupt wal", stderr.strip());
    assertEquals(7,
        capture(() -> Exits.startFailure(15, new FatalStartupException(7, "x"), ADDRESS)));
  }

  @Test
  void configExceptionDuringDeploymentIsStatus2() {
    assertEquals(2, capture(() -> Exits.startFailure(15,
        new RuntimeException(ConfigException.atKey("transport", "bad")), ADDRESS)));
    assertTrue(stderr.startsWith("raftsimple: config error: config key 'transport'"), stderr);
  }

  @Test
  void aPortInUseIsOneLineNamingTheAddressAndStatus4() {
    assertEquals(4, capture(() -> Exits.startFailure(15, new java.util.concurrent.CompletionException(
        new java.net.BindException("Address already in use")), ADDRESS)));
    assertEquals("raftsimple: cannot listen on 127.0.0.1:6969: address already in use", stderr.strip());
  }

  @Test
  void otherFailuresKeepTheLauncherStatus() {
    assertEquals(15, capture(() -> Exits.startFailure(15,
        new IllegalStateException("port 80 needs root"), ADDRESS)));
    assertTrue(stderr.contains("port 80 needs root"), stderr);
    assertEquals(11, capture(() -> Exits.startFailure(11, null, ADDRESS)));
    assertTrue(stderr.contains("see the log above"), stderr);
  }

  @Test
  void exitCodesOutsideTheUsableRangeAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new FatalStartupException(0, "x"));
    assertThrows(IllegalArgumentException.class, () -> new FatalStartupException(143, "x"));
  }
}
