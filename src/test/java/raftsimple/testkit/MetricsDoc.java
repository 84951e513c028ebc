package raftsimple.testkit;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks a {@code GET /metrics} scrape against docs/METRICS.md: every {@code raftsimple_*} family
 * must have a row in the document's table with the same Prometheus type, none may be a summary,
 * and the {@code <name>_max} gauge Micrometer writes beside a histogram needs no row of its own.
 */
public final class MetricsDoc {
  private static final Pattern ROW = Pattern.compile(
      "(?m)^\\| `(raftsimple_[a-z0-9_]+)` \\| (counter|gauge|histogram) \\|");
  private static final Pattern TYPE = Pattern.compile("(?m)^# TYPE (\\S+) (\\S+)$");

  private MetricsDoc() {}

  /** Family name -> type, as the document's table states them. */
  public static Map<String, String> documented(String doc) {
    Map<String, String> out = new LinkedHashMap<>();
    Matcher m = ROW.matcher(doc);
    while (m.find()) {
      out.put(m.group(1), m.group(2));
    }
    return out;
  }

  /** Family name -> type, from the {@code # TYPE} lines of a scrape. */
  public static Map<String, String> scraped(String scrape) {
    Map<String, String> out = new LinkedHashMap<>();
    Matcher m = TYPE.matcher(scrape);
    while (m.find()) {
      out.put(m.group(1), m.group(2));
    }
    return out;
  }

  /** What is wrong, one line each; empty when the scrape matches the document. */
  public static List<String> problems(String scrape, String doc) {
    Map<String, String> documented = documented(doc);
    List<String> problems = new ArrayList<>();
    if (documented.isEmpty()) {
      problems.add("docs/METRICS.md has no metric table rows");
    }
    for (Map.Entry<String, String> f : scraped(scrape).entrySet()) {
      String name = f.getKey();
      String type = f.getValue();
      if (!name.startsWith("raftsimple_")) {
        continue;
      }
      if ("summary".equals(type)) {
        problems.add(name + " is a summary; make it a histogram (fixed buckets, metrics/Buckets)");
      }
      if (name.endsWith("_max") && "gauge".equals(type)
          && "histogram".equals(documented.get(name.substring(0, name.length() - 4)))) {
        continue; // Micrometer's max beside a documented histogram
      }
      // The Prometheus client names the family of a gauge "x_info" "x" in its TYPE line (an info
      // metric); its samples keep the documented name.
      String want = documented.containsKey(name) ? documented.get(name) : documented.get(name + "_info");
      if (want == null) {
        problems.add(name + " (" + type + ") is not documented in docs/METRICS.md");
      } else if (!want.equals(type)) {
        problems.add(name + " is a " + type + " but docs/METRICS.md says " + want);
      }
    }
    return problems;
  }
}
