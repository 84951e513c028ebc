package raftsimple.tidy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;

/**
 * The protocol core ({@code core/**}) and the chain ({@code chain/**}) are pure
 * functions of their inputs, so the simulator replays them bit for bit. No I/O, no threads, no
 * clocks, no global randomness, and methods of at most {@value #METHOD_LINES_MAX} lines.
 */
class CorePurityTest {
  static final int METHOD_LINES_MAX = 70;
  private static final Path MAIN = Path.of("src/main/java/raftsimple");
  private static final List<String> PURE = List.of("core", "chain");

  /** Packages whose classes do I/O, run threads or tie the code to Vert.x. */
  private static final List<String> BANNED_PACKAGES =
      List.of("io.vertx", "java.io", "java.nio", "java.net", "java.util.concurrent");
  /**
   * Exceptions, each with its reason. {@code java.nio.charset} is text encoding (chain/Hashing's
   * txid bytes), not I/O.
   */
  private static final List<String> ALLOWED_PACKAGES = List.of("java.nio.charset");

  /** Calls and keywords that read a clock, use global randomness, or involve threads. */
  private static final List<String> BANNED_WORDS = List.of(
      "System.currentTimeMillis", "System.nanoTime", "Instant.now", "LocalDateTime.now",
      "Clock.system", "Math.random", "UUID.randomUUID", "new Random(", "Thread", "synchronized",
      "volatile", "System.getenv", "System.getProperty");

  private static List<JavaSource> sources() {
    List<JavaSource> out = new ArrayList<>();
    for (String pkg : PURE) {
      out.addAll(JavaSource.under(MAIN.resolve(pkg)));
    }
    return out;
  }

  @Test
  void theScannerSeesTheSources() {
    List<JavaSource> s = sources();
    assertTrue(s.size() >= 10, "expected the core and chain sources under " + MAIN.toAbsolutePath());
    assertTrue(s.stream().anyMatch(j -> j.path.endsWith("Node.java")));
  }

  @Test
  void noIoThreadsOrVertxPackages() {
    List<String> offenders = new ArrayList<>();
    for (JavaSource s : sources()) {
      for (String pkg : BANNED_PACKAGES) {
        Matcher m = JavaSource.word(pkg + ".").matcher(s.code);
        while (m.find()) {
          String rest = s.code.substring(m.start(), Math.min(s.code.length(), m.start() + 60));
          if (ALLOWED_PACKAGES.stream().noneMatch(rest::startsWith)) {
            offenders.add(s.relative(MAIN) + ":" + s.lineOf(m.start()) + " uses " + pkg);
          }
        }
      }
    }
    assertEquals(List.of(), offenders);
  }

  @Test
  void noClocksRandomnessOrThreads() {
    List<String> offenders = new ArrayList<>();
    for (JavaSource s : sources()) {
      for (String w : BANNED_WORDS) {
        Matcher m = JavaSource.word(w).matcher(s.code);
        while (m.find()) {
          offenders.add(s.relative(MAIN) + ":" + s.lineOf(m.start()) + " " + w);
        }
      }
    }
    assertEquals(List.of(), offenders);
  }

  @Test
  void methodsAreAtMostSeventyLines() {
    List<String> offenders = new ArrayList<>();
    for (JavaSource s : sources()) {
      for (JavaSource.Method m : s.methods()) {
        if (m.lines() > METHOD_LINES_MAX) {
          offenders.add(s.relative(MAIN) + ":" + m.startLine() + " " + m.name() + "() " + m.lines()
              + " lines");
        }
      }
    }
    assertEquals(List.of(), offenders);
  }

  /** The scanner itself: it must see banned words in code but not in comments or strings. */
  @Test
  void scannerIgnoresCommentsAndStringsButNotCode() {
    String text = "class A {\n  // Thread.sleep in a comment\n  String s = \"synchronized\";\n"
        + "  void f() {\n    long t = System.nanoTime();\n  }\n}\n";
    String code = JavaSource.blankCommentsAndLiterals(text);
    assertFalse(JavaSource.word("Thread").matcher(code).find());
    assertFalse(JavaSource.word("synchronized").matcher(code).find());
    assertTrue(JavaSource.word("System.nanoTime").matcher(code).find());
    assertFalse(JavaSource.word("Thread").matcher("ThreadLocal<X> x;").find(), "ThreadLocal is not Thread");
    assertTrue(JavaSource.word("new Random(").matcher("r = new Random(1);").find());
    assertFalse(JavaSource.word("new Random(").matcher("r = new SplittableRandom(1);").find());
  }

  /** The method-length counter on a known shape: nested blocks, lambdas and an inner class. */
  @Test
  void methodCounterCountsWholeBodies() throws Exception {
    Path tmp = java.nio.file.Files.createTempDirectory("tidy");
    String body = "class A {\n  int x = 1;\n  void f(int a) {\n    if (a > 0) {\n      run(() -> {\n"
        + "        g();\n      });\n    }\n  }\n  static class B {\n    B() {\n    }\n  }\n"
        + "  record R(int a) {\n    R {\n    }\n  }\n}\n";
    java.nio.file.Files.writeString(tmp.resolve("A.java"), body);
    Map<String, Integer> lines = new TreeMap<>();
    for (JavaSource.Method m : JavaSource.under(tmp).get(0).methods()) {
      lines.put(m.name(), m.lines());
    }
    assertEquals(Map.of("f", 7, "B", 2, "R", 2), lines);
  }
}
