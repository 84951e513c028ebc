package raftsimple.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import raftsimple.chain.LogEntry;
import raftsimple.core.msg.ClientEvent;
import raftsimple.core.msg.DurableRecord;
import raftsimple.core.msg.Effects;
import raftsimple.core.msg.Input;
import raftsimple.core.msg.Message;
import raftsimple.sim.TraceFormat;

/**
 * Datadriven scenarios for the core (STYLE rule 17, etcd {@code testdata/*.txt}): each file in
 * {@code src/test/resources/scenarios/} opens with a {@code #} paragraph saying what it shows, then
 * holds blocks of a command, a {@code ----} line and the expected output (every step the command
 * caused, with its effects), ended by a blank line. {@code -Dscenarios.rewrite=true} rewrites the
 * expected output from the actual one, for review as a diff.
 *
 * <p>Commands: {@code cluster voters=N headTimeoutMs=H} (first), {@code submit NODE PAYLOAD},
 * {@code deliver [from=X] [to=Y] [kind=K]} (one pass over what is on the wire now),
 * {@code stabilize [except=X]} (deliver until quiet), {@code drop [from=X] [to=Y] [kind=K]},
 * {@code crash NODE}, {@code start NODE}, {@code tick MS [only=NODE]}, {@code read NODE REF},
 * {@code log NODE}, {@code marks NODE}, {@code wire}.
 */
class ScenarioTest {
  private static final Path DIR = Path.of("src/test/resources/scenarios");

  private record Block(List<String> comments, String command, List<String> expected) {}

  @TestFactory
  Stream<DynamicTest> scenarios() throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.list(DIR)) {
      files = s.filter(p -> p.toString().endsWith(".txt")).sorted().toList();
    }
    assertEquals(true, !files.isEmpty(), "no scenarios under " + DIR.toAbsolutePath());
    return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> run(f)));
  }

  private static void run(Path file) throws IOException {
    List<Block> blocks = parse(Files.readAllLines(file, StandardCharsets.UTF_8));
    Runner r = new Runner();
    StringBuilder rewritten = new StringBuilder();
    List<String> mismatches = new ArrayList<>();
    for (Block b : blocks) {
      List<String> actual = r.execute(b.command);
      for (String c : b.comments) {
        rewritten.append(c).append('\n');
      }
      if (!b.comments.isEmpty() && b.comments.get(b.comments.size() - 1).startsWith("#")) {
        rewritten.append('\n'); // the header paragraph stands apart from the first command
      }
      rewritten.append(b.command).append("\n----\n");
      for (String l : actual) {
        rewritten.append(l).append('\n');
      }
      rewritten.append('\n');
      if (!actual.equals(b.expected)) {
        mismatches.add(b.command + "\n----\nexpected:\n  " + String.join("\n  ", b.expected)
            + "\nactual:\n  " + String.join("\n  ", actual));
      }
    }
    if (Boolean.getBoolean("scenarios.rewrite")) {
      Files.writeString(file, rewritten.toString().stripTrailing() + "\n", StandardCharsets.UTF_8);
      return;
    }
    assertEquals(List.of(), mismatches, file + " (rewrite with -Dscenarios.rewrite=true)");
  }

  private static List<Block> parse(List<String> lines) {
    List<Block> out = new ArrayList<>();
    List<String> comments = new ArrayList<>();
    int i = 0;
    while (i < lines.size()) {
      String l = lines.get(i);
      if (l.startsWith("#") || l.isBlank()) {
        comments.add(l);
        i++;
        continue;
      }
      String command = l;
      if (i + 1 >= lines.size() || !lines.get(i + 1).equals("----")) {
        throw new IllegalArgumentException("line " + (i + 2) + ": expected ---- after " + command);
      }
      i += 2;
      List<String> expected = new ArrayList<>();
      while (i < lines.size() && !lines.get(i).isBlank()) {
        expected.add(lines.get(i++));
      }
      while (!comments.isEmpty() && comments.get(comments.size() - 1).isBlank()) {
        comments.remove(comments.size() - 1);
      }
      out.add(new Block(List.copyOf(comments), command, expected));
      comments.clear();
      comments.add("");
      i++;
    }
    return out;
  }

  /** Executes commands against a {@link TestCluster} and renders what happened. */
  private static final class Runner {
    private TestCluster c;
    private final List<String> out = new ArrayList<>();

    List<String> execute(String line) {
      out.clear();
      String[] w = line.trim().split("\\s+", 3);
      Map<String, String> kv = options(w);
      switch (w[0]) {
        case "cluster" -> {
          c = new TestCluster(Integer.parseInt(kv.get("voters")),
              Long.parseLong(kv.getOrDefault("headTimeoutMs", "1000")));
          c.listener = this::stepped;
          out.add("voters " + c.ids);
        }
        case "submit" -> c.submit(w[1], line.trim().split("\\s+", 3)[2]);
        case "deliver" -> c.deliver(filter(kv));
        case "stabilize" -> c.deliverAll(kv.containsKey("except")
            ? TestCluster.touching(kv.get("except")).negate() : m -> true);
        case "drop" -> {
          int before = c.wire.size();
          c.drop(filter(kv));
          out.add("dropped " + (before - c.wire.size()));
        }
        case "crash" -> {
          c.crash(w[1]);
          out.add(w[1] + " crashed");
        }
        case "start" -> c.start(w[1]);
        case "tick" -> {
          if (kv.containsKey("only")) {
            c.tickOnly(kv.get("only"), Long.parseLong(w[1]));
          } else {
            c.tick(Long.parseLong(w[1]));
          }
        }
        case "read" -> c.step(w[1], new Input.ReadBarrier(Long.parseLong(w[2])));
        case "log" -> out.add(w[1] + " log " + c.payloads(w[1]));
        case "marks" -> out.add(w[1] + " marks " + c.node(w[1]).marks().snapshot());
        case "wire" -> c.wire.forEach(m -> out.add("  " + TraceFormat.message(m)));
        default -> throw new IllegalArgumentException("unknown command: " + line);
      }
      if (out.isEmpty()) {
        out.add("ok");
      }
      return new ArrayList<>(out);
    }

    private static Map<String, String> options(String[] words) {
      Map<String, String> kv = new TreeMap<>();
      for (int i = 1; i < words.length; i++) {
        for (String part : words[i].split("\\s+")) {
          int eq = part.indexOf('=');
          if (eq > 0 && !part.startsWith("{")) {
            kv.put(part.substring(0, eq), part.substring(eq + 1));
          }
        }
      }
      return kv;
    }

    private static Predicate<Message> filter(Map<String, String> kv) {
      Predicate<Message> p = m -> true;
      if (kv.containsKey("from")) {
        p = p.and(TestCluster.from(kv.get("from")));
      }
      if (kv.containsKey("to")) {
        p = p.and(TestCluster.to(kv.get("to")));
      }
      if (kv.containsKey("kind")) {
        String k = kv.get("kind");
        p = p.and(m -> m.getClass().getSimpleName().equals(k));
      }
      return p;
    }

    /** One line per step that did something, then one indented line per effect. */
    private void stepped(String id, Object[] stepAndEffects) {
      Input in = (Input) stepAndEffects[0];
      Effects fx = (Effects) stepAndEffects[1];
      if (in instanceof Input.Tick && fx.isEmpty()) {
        return;
      }
      String kind = in instanceof Input.Receive ? "recv" : in instanceof Input.Tick ? "tick"
          : in instanceof Input.Submit ? "submit" : in instanceof Input.Persisted ? "durable"
          : "read";
      out.add(id + " " + kind + " " + (in instanceof Input.Tick ? "" : TraceFormat.input(in)).trim());
      for (DurableRecord r : fx.persist) {
        out.add("  write " + record(r));
      }
      for (Message m : fx.sendNow) {
        out.add("  send " + TraceFormat.message(m));
      }
      for (Message m : fx.sendAfterPersist) {
        out.add("  send after write " + TraceFormat.message(m));
      }
      if (!fx.committed.isEmpty()) {
        LogEntry first = fx.committed.get(0);
        LogEntry last = fx.committed.get(fx.committed.size() - 1);
        out.add("  commit [" + first.index() + ".." + last.index() + "] head " + TraceFormat.h(last.hash()));
      }
      for (ClientEvent e : fx.client) {
        out.add("  client " + TraceFormat.client(e));
      }
    }

    private static String record(DurableRecord r) {
      if (r instanceof DurableRecord.VoteRecord v) {
        return "vote L" + v.length() + " P" + TraceFormat.h(v.proposal().id());
      } else if (r instanceof DurableRecord.PromiseRecord p) {
        return "promise L" + p.length() + " b" + p.ballot();
      } else if (r instanceof DurableRecord.AcceptRecord a) {
        return "accept L" + a.length() + " b" + a.ballot() + " P" + TraceFormat.h(a.value().id());
      } else if (r instanceof DurableRecord.CommitRecord c) {
        return "commit " + c.entries().size() + " entries from " + c.entries().get(0).index();
      }
      return r.toString();
    }
  }
}
