package raftsimple.tidy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A Java source file as the tidy checks see it: the text with comments and string/char literals
 * blanked out (newlines kept, so line numbers survive), and its method bodies found by brace
 * counting. Good enough for code that compiles; not a parser.
 */
final class JavaSource {
  record Method(String name, int startLine, int endLine) {
    int lines() {
      return endLine - startLine + 1;
    }
  }

  private static final Pattern TYPE = Pattern.compile("\\b(class|interface|enum|record)\\s+\\w+");

  final Path path;
  final String code;

  private JavaSource(Path path, String code) {
    this.path = path;
    this.code = code;
  }

  static List<JavaSource> under(Path root) {
    if (!Files.isDirectory(root)) {
      return List.of();
    }
    try (Stream<Path> files = Files.walk(root)) {
      List<JavaSource> out = new ArrayList<>();
      for (Path p : files.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
        out.add(new JavaSource(p, blankCommentsAndLiterals(Files.readString(p, StandardCharsets.UTF_8))));
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  int lineOf(int offset) {
    int line = 1;
    for (int i = 0; i < offset; i++) {
      if (code.charAt(i) == '\n') {
        line++;
      }
    }
    return line;
  }

  /** Replaces comments and literals by spaces, keeping newlines. */
  static String blankCommentsAndLiterals(String s) {
    StringBuilder b = new StringBuilder(s.length());
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (s.startsWith("//", i)) {
        while (i < s.length() && s.charAt(i) != '\n') {
          b.append(' ');
          i++;
        }
      } else if (s.startsWith("/*", i)) {
        int end = s.indexOf("*/", i + 2);
        end = end < 0 ? s.length() : end + 2;
        blank(s, i, end, b);
        i = end;
      } else if (s.startsWith("\"\"\"", i)) {
        int end = s.indexOf("\"\"\"", i + 3);
        end = end < 0 ? s.length() : end + 3;
        blank(s, i, end, b);
        i = end;
      } else if (c == '"' || c == '\'') {
        int j = i + 1;
        while (j < s.length() && s.charAt(j) != c) {
          j += s.charAt(j) == '\\' ? 2 : 1;
        }
        int end = Math.min(s.length(), j + 1);
        blank(s, i, end, b);
        i = end;
      } else {
        b.append(c);
        i++;
      }
    }
    return b.toString();
  }

  private static void blank(String s, int from, int to, StringBuilder b) {
    for (int k = from; k < to; k++) {
      b.append(s.charAt(k) == '\n' ? '\n' : ' ');
    }
  }

  /**
   * Every block that is a direct member of a type body (method, constructor, compact constructor,
   * initializer), with the line its declaration starts on and the line of its closing brace.
   */
  List<Method> methods() {
    List<Method> out = new ArrayList<>();
    Deque<Object[]> stack = new ArrayDeque<>(); // {kind, name, startLine}
    int headerStart = 0;
    for (int i = 0; i < code.length(); i++) {
      char c = code.charAt(i);
      if (c == '{') {
        String header = code.substring(headerStart, i).trim();
        boolean parentIsType = !stack.isEmpty() && "type".equals(stack.peek()[0]);
        String kind;
        if (TYPE.matcher(header).find() || stack.isEmpty()) {
          kind = "type";
        } else if (parentIsType && !header.contains("=") && !header.isEmpty()) {
          kind = "method";
        } else {
          kind = "block";
        }
        int start = lineOf(headerStart + leadingBlank(code, headerStart, i));
        stack.push(new Object[] {kind, name(header), start});
        headerStart = i + 1;
      } else if (c == '}') {
        Object[] top = stack.pop();
        if ("method".equals(top[0])) {
          out.add(new Method((String) top[1], (int) top[2], lineOf(i)));
        }
        headerStart = i + 1;
      } else if (c == ';') {
        headerStart = i + 1;
      }
    }
    return out;
  }

  private static int leadingBlank(String s, int from, int to) {
    int k = from;
    while (k < to && Character.isWhitespace(s.charAt(k))) {
      k++;
    }
    return k - from;
  }

  private static String name(String header) {
    int paren = header.indexOf('(');
    String before = paren < 0 ? header : header.substring(0, paren);
    String[] words = before.trim().split("\\s+");
    return words.length == 0 ? "?" : words[words.length - 1];
  }

  String relative(Path root) {
    return root.relativize(path).toString();
  }

  /** {@code w} as a whole word or call: not part of a longer identifier or qualified name. */
  static Pattern word(String w) {
    String before = Character.isJavaIdentifierPart(w.charAt(0)) ? "(?<![\\w.])" : "";
    String after = Character.isJavaIdentifierPart(w.charAt(w.length() - 1)) ? "(?!\\w)" : "";
    return Pattern.compile(before + Pattern.quote(w) + after);
  }
}
