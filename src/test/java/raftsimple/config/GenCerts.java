package raftsimple.config;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs deploy/gen-certs.sh for tests; skips the test when openssl is not installed. */
final class GenCerts {
  static final Path SCRIPT = Path.of("deploy/gen-certs.sh"); // surefire: module directory

  /** Exit status and combined output of one run. */
  record Result(int status, String output) {}

  private GenCerts() {}

  static void assumeOpenssl() {
    boolean present;
    try {
      present = new ProcessBuilder("openssl", "version").redirectErrorStream(true).start()
          .waitFor() == 0;
    } catch (IOException e) {
      present = false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      present = false;
    }
    assumeTrue(present, "openssl is not installed");
  }

  static Result run(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("bash", SCRIPT.toString()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("gen-certs.sh did not finish: " + output);
    }
    return new Result(p.exitValue(), output);
  }

  /** Runs and insists on success. */
  static String generate(Path outdir, String... names) throws IOException, InterruptedException {
    List<String> args = new ArrayList<>(List.of("-o", outdir.toString()));
    args.addAll(List.of(names));
    Result r = run(args.toArray(new String[0]));
    if (r.status() != 0) {
      throw new IllegalStateException("gen-certs.sh failed (" + r.status() + "): " + r.output());
    }
    return r.output();
  }
}
