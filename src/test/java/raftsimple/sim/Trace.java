package raftsimple.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The last events of a run, one compact line each ({@code t=… node kind fields}), kept in a ring
 * so that tracing costs nothing until a failure prints it. Lines are rendered lazily from immutable
 * parts (message records, strings), so the hot path only stores references.
 */
final class Trace {
  private record Line(long simMs, String node, String kind, Object detail, long effects) {}

  private final Line[] ring;
  private long count;
  private final boolean echo;

  /** {@code capacity}: lines kept; {@code echo}: also print every line as it happens (verbose replay). */
  Trace(int capacity, boolean echo) {
    this.ring = new Line[Math.max(1, capacity)];
    this.echo = echo;
  }

  void add(long simMs, String node, String kind, Object detail) {
    add(simMs, node, kind, detail, 0);
  }

  /** {@code effects}: see {@link #effects}; rendered as a suffix when non-zero. */
  void add(long simMs, String node, String kind, Object detail, long effects) {
    Line l = new Line(simMs, node, kind, detail, effects);
    ring[(int) (count++ % ring.length)] = l;
    if (echo) {
      System.out.println(render(l));
    }
  }

  long count() {
    return count;
  }

  /** The last {@code max} lines, oldest first. */
  List<String> last(int max) {
    List<String> out = new ArrayList<>();
    long n = Math.min(Math.min(count, ring.length), max);
    for (long i = count - n; i < count; i++) {
      out.add(render(ring[(int) (i % ring.length)]));
    }
    return out;
  }

  private static String detail(Object d) {
    if (d == null) {
      return "";
    } else if (d instanceof raftsimple.core.msg.Message m) {
      return TraceFormat.message(m);
    } else if (d instanceof raftsimple.core.msg.Input in) {
      return TraceFormat.input(in);
    } else if (d instanceof raftsimple.core.msg.ClientEvent e) {
      return TraceFormat.client(e);
    }
    return d.toString();
  }

  /** Packs a step's effect counts (records written, messages, committed entries, client events). */
  static long effects(int writes, int sends, int commits, int clients) {
    return ((long) Math.min(writes, 0xffff) << 48) | ((long) Math.min(sends, 0xffff) << 32)
        | ((long) Math.min(commits, 0xffff) << 16) | Math.min(clients, 0xffff);
  }

  private static String render(Line l) {
    Object d = l.detail instanceof Supplier<?> s ? s.get() : l.detail;
    String fx = "";
    if (l.effects != 0) {
      fx = "  => w" + (l.effects >>> 48) + " s" + ((l.effects >>> 32) & 0xffff) + " c"
          + ((l.effects >>> 16) & 0xffff) + " e" + (l.effects & 0xffff);
    }
    return String.format("t=%-7d %-3s %-9s %s%s", l.simMs, l.node, l.kind, detail(d), fx);
  }
}
