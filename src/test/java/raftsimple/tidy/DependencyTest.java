package raftsimple.tidy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Package layering (issue 9 item 8, STYLE "Allowed dependencies"): every main source file may use
 * only the packages and libraries its package's row in README.md's table allows (between the
 * {@code layering:begin/end} markers). Uses are imports and fully qualified names in code
 * (comments and strings blanked by {@link JavaSource}). Also: every package has a row; no row lets
 * anyone use {@code app} or one transport use another; and the allowed graph has no cycle except
 * the exemptions named in {@link #EXEMPTIONS}.
 */
class DependencyTest {
  private static final Path MAIN = Path.of("src/main/java/raftsimple");
  private static final Path README = Path.of("README.md");

  /**
   * Allowed uses that are not in the README table because they are to go, each with its reason.
   * Key: "from -> to".
   */
  static final Map<String, String> EXEMPTIONS = Map.of();

  /** Library names used in the table, and the package prefixes they stand for. */
  static final Map<String, List<String>> LIBRARIES = Map.of(
      "Vert.x", List.of("io.vertx"),
      "Netty", List.of("io.netty"),
      "Jackson", List.of("com.fasterxml.jackson"),
      "Micrometer", List.of("io.micrometer"),
      "Hazelcast", List.of("com.hazelcast"),
      "pcollections", List.of("org.pcollections"),
      "Bouncy Castle", List.of("org.bouncycastle"),
      "picocli", List.of("picocli"));

  private static final Pattern PACKAGE = Pattern.compile("^\\s*package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);
  /** A qualified name into the project: {@code raftsimple.<pkg>.<Type>} (types start upper case). */
  private static final Pattern PROJECT_USE =
      Pattern.compile("(?<![\\w.])raftsimple\\.([a-z]\\w*(?:\\.[a-z]\\w*)*)\\.[A-Z]");
  /** A qualified name into a third-party library we know (anything else is reported as unknown). */
  private static final Pattern LIBRARY_USE =
      Pattern.compile("(?<![\\w.])((?:io|com|org|net|info)\\.[a-z]\\w*(?:\\.[a-z]\\w*)?)\\.");

  /** A row of the table: what one package may use. */
  record Row(Set<String> packages, Set<String> libraries, boolean anything) {}

  // ------------------------------------------------------------------ the checks

  @Test
  void everyUseIsAllowedByTheReadmeTable() throws IOException {
    Map<String, Row> table = table(Files.readString(README, StandardCharsets.UTF_8));
    List<String> offenders = violations(JavaSource.under(MAIN), table);
    assertEquals(List.of(), offenders, "uses the README's layering table does not allow");
  }

  @Test
  void everyPackageHasARow() throws IOException {
    Map<String, Row> table = table(Files.readString(README, StandardCharsets.UTF_8));
    Set<String> missing = new TreeSet<>();
    for (JavaSource s : JavaSource.under(MAIN)) {
      String pkg = packageOf(s);
      if (!table.containsKey(pkg)) {
        missing.add(pkg + " (" + s.relative(MAIN) + ")");
      }
    }
    assertEquals(Set.of(), missing, "packages without a row in README.md's layering table");
    assertTrue(table.size() >= 15, "the table was not found or is cut short: " + table.keySet());
  }

  @Test
  void noRowAllowsAppOrOneTransportUsingAnother() throws IOException {
    Map<String, Row> table = table(Files.readString(README, StandardCharsets.UTF_8));
    List<String> bad = new ArrayList<>();
    table.forEach((pkg, row) -> {
      for (String to : row.packages()) {
        if (to.equals("app")) {
          bad.add(pkg + " may use app");
        }
        if (isTransportImpl(pkg) && isTransportImpl(to) && !pkg.equals(to)) {
          bad.add(pkg + " may use another transport, " + to);
        }
      }
    });
    assertEquals(List.of(), bad);
  }

  /** The allowed graph is layered: no cycle, unless it runs through a named exemption. */
  @Test
  void theAllowedGraphHasNoCycle() throws IOException {
    Map<String, Row> table = table(Files.readString(README, StandardCharsets.UTF_8));
    Map<String, Set<String>> graph = new TreeMap<>();
    table.forEach((pkg, row) -> graph.put(pkg, new TreeSet<>(row.packages())));
    assertEquals(List.of(), cycle(graph), "a cycle among the allowed dependencies");
    for (String exemption : EXEMPTIONS.keySet()) {
      String[] e = exemption.split(" -> ");
      assertTrue(graph.containsKey(e[0]) && graph.containsKey(e[1]), "exemption of unknown packages: "
          + exemption);
    }
  }

  // ------------------------------------------------------------------ the checker on known input

  /** The checker itself, on sources written for it: it must see a forbidden use, in any form. */
  @Test
  void theCheckerSeesForbiddenUses_butNotInCommentsOrStrings() throws IOException {
    Path tmp = Files.createTempDirectory("layering");
    write(tmp, "chain/A.java", "package raftsimple.chain;\nimport raftsimple.core.Node;\nclass A {}\n");
    write(tmp, "chain/B.java", "package raftsimple.chain;\nclass B { Object o = new raftsimple.bus.BusApi.Nothing(); }\n");
    write(tmp, "chain/C.java", "package raftsimple.chain;\n// raftsimple.app.Main in a comment\n"
        + "class C { String s = \"raftsimple.app.Main\"; }\n");
    write(tmp, "chain/D.java", "package raftsimple.chain;\nimport io.vertx.core.Vertx;\nclass D {}\n");
    write(tmp, "core/msg/E.java", "package raftsimple.core.msg;\nimport raftsimple.core.msg.Membership;\nclass E {}\n");
    write(tmp, "statemachine/F.java", "package raftsimple.statemachine;\nimport com.fasterxml.jackson.databind.JsonNode;\n"
        + "import org.example.Unknown;\nclass F {}\n");
    Map<String, Row> table = table(Files.readString(README, StandardCharsets.UTF_8));
    List<String> found = violations(JavaSource.under(tmp), table);
    assertEquals(List.of(
        "chain/A.java:2 uses package core (chain may use: none)",
        "chain/B.java:2 uses package bus (chain may use: none)",
        "chain/D.java:2 uses library io.vertx (chain may use: none)",
        "statemachine/F.java:3 uses unknown library org.example (add it to DependencyTest.LIBRARIES)"),
        found);
  }

  @Test
  void theCycleFinderFindsACycle() {
    Map<String, Set<String>> g = new TreeMap<>();
    g.put("a", Set.of("b"));
    g.put("b", Set.of("c"));
    g.put("c", Set.of("a"));
    g.put("d", Set.of());
    assertEquals(List.of("a", "b", "c", "a"), cycle(g));
  }

  // ------------------------------------------------------------------ implementation

  static List<String> violations(List<JavaSource> sources, Map<String, Row> table) {
    List<String> out = new ArrayList<>();
    Map<String, String> prefixToLibrary = new TreeMap<>();
    LIBRARIES.forEach((name, prefixes) -> prefixes.forEach(p -> prefixToLibrary.put(p, name)));
    Path root = sources.isEmpty() ? MAIN : rootOf(sources.get(0));
    for (JavaSource s : sources) {
      String pkg = packageOf(s);
      Row row = table.get(pkg);
      if (row == null || row.anything()) {
        continue; // everyPackageHasARow reports the first; app may use anything
      }
      String where = s.relative(root);
      Matcher m = PROJECT_USE.matcher(s.code);
      Set<String> seen = new TreeSet<>();
      while (m.find()) {
        String to = m.group(1);
        if (to.equals(pkg) || row.packages().contains(to) || EXEMPTIONS.containsKey(pkg + " -> " + to)
            || !seen.add("p" + to)) {
          continue;
        }
        out.add(where + ":" + s.lineOf(m.start()) + " uses package " + to + " (" + pkg
            + " may use: " + describe(row.packages()) + ")");
      }
      Matcher l = LIBRARY_USE.matcher(s.code);
      while (l.find()) {
        String name = l.group(1);
        if (name.startsWith("java.") || name.startsWith("javax.")) {
          continue;
        }
        String library = library(prefixToLibrary, s.code, l.start());
        if (library == null) {
          if (seen.add("u" + name)) {
            out.add(where + ":" + s.lineOf(l.start()) + " uses unknown library " + name
                + " (add it to DependencyTest.LIBRARIES)");
          }
        } else if (!row.libraries().contains(library) && seen.add("l" + library)) {
          String prefix = LIBRARIES.get(library).get(0);
          out.add(where + ":" + s.lineOf(l.start()) + " uses library " + prefix + " (" + pkg
              + " may use: " + describe(row.libraries()) + ")");
        }
      }
    }
    return out;
  }

  private static String library(Map<String, String> prefixToLibrary, String code, int at) {
    for (Map.Entry<String, String> e : prefixToLibrary.entrySet()) {
      if (code.startsWith(e.getKey() + ".", at)) {
        return e.getValue();
      }
    }
    return null;
  }

  private static String describe(Set<String> allowed) {
    return allowed.isEmpty() ? "none" : String.join(", ", allowed);
  }

  private static Path rootOf(JavaSource s) {
    // <root>/<package folders>/File.java
    String pkg = packageOf(s);
    Path p = s.path.getParent();
    for (int i = 0; i < pkg.split("\\.").length; i++) {
      p = p.getParent();
    }
    return p;
  }

  /** The package below {@code raftsimple}: {@code core.msg} for {@code raftsimple.core.msg}. */
  static String packageOf(JavaSource s) {
    Matcher m = PACKAGE.matcher(s.code);
    if (!m.find()) {
      throw new IllegalStateException(s.path + " has no package declaration");
    }
    String full = m.group(1);
    return full.startsWith("raftsimple.") ? full.substring("raftsimple.".length()) : full;
  }

  private static boolean isTransportImpl(String pkg) {
    return pkg.startsWith("transport.");
  }

  /** Parses the rows between the markers: {@code | `pkg` | `a`, `b` | Lib, Lib |}. */
  static Map<String, Row> table(String readme) {
    int begin = readme.indexOf("<!-- layering:begin -->");
    int end = readme.indexOf("<!-- layering:end -->");
    if (begin < 0 || end < begin) {
      throw new IllegalStateException("README.md has no layering:begin/end markers");
    }
    Map<String, Row> out = new LinkedHashMap<>();
    for (String line : readme.substring(begin, end).lines().toList()) {
      String[] cells = line.split("\\|");
      if (cells.length < 4 || !cells[1].trim().startsWith("`")) {
        continue; // header, separator, markers
      }
      String pkg = cells[1].trim().replace("`", "");
      String packages = cells[2].trim();
      String libraries = cells[3].trim();
      boolean anything = packages.equals("all");
      Set<String> ps = new TreeSet<>();
      if (!anything && !packages.equals("—")) {
        for (String p : packages.split(",")) {
          ps.add(p.trim().replace("`", ""));
        }
      }
      Set<String> ls = new TreeSet<>();
      if (!libraries.equals("—") && !libraries.equals("all")) {
        for (String l : libraries.split(",")) {
          String name = l.trim();
          if (!LIBRARIES.containsKey(name)) {
            throw new IllegalStateException("README layering row " + pkg + ": unknown library '"
                + name + "' (known: " + new TreeSet<>(LIBRARIES.keySet()) + ")");
          }
          ls.add(name);
        }
      }
      if (out.put(pkg, new Row(ps, ls, anything)) != null) {
        throw new IllegalStateException("README layering table lists " + pkg + " twice");
      }
    }
    return out;
  }

  /** The first cycle found (as a path that ends where it starts), or an empty list. */
  static List<String> cycle(Map<String, Set<String>> graph) {
    Map<String, Integer> state = new TreeMap<>(); // 1 on the path, 2 done
    for (String start : graph.keySet()) {
      Deque<String> path = new ArrayDeque<>();
      List<String> found = visit(start, graph, state, path);
      if (!found.isEmpty()) {
        return found;
      }
    }
    return List.of();
  }

  private static List<String> visit(String n, Map<String, Set<String>> graph,
      Map<String, Integer> state, Deque<String> path) {
    Integer st = state.get(n);
    if (st != null && st == 2) {
      return List.of();
    }
    if (st != null && st == 1) {
      List<String> cyc = new ArrayList<>();
      List<String> onPath = new ArrayList<>(path);
      java.util.Collections.reverse(onPath);
      cyc.addAll(onPath.subList(onPath.indexOf(n), onPath.size()));
      cyc.add(n);
      return cyc;
    }
    state.put(n, 1);
    path.push(n);
    for (String next : graph.getOrDefault(n, Set.of())) {
      List<String> found = visit(next, graph, state, path);
      if (!found.isEmpty()) {
        return found;
      }
    }
    path.pop();
    state.put(n, 2);
    return List.of();
  }

  private static void write(Path root, String file, String text) throws IOException {
    Path p = root.resolve(file);
    Files.createDirectories(p.getParent());
    Files.writeString(p, text, StandardCharsets.UTF_8);
  }
}
