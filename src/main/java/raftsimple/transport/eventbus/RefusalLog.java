package raftsimple.transport.eventbus;

import java.lang.System.Logger.Level;
import java.util.EnumMap;
import java.util.Map;

/**
 * Logs refused peer messages without letting a flood of them flood the log: per kind, the 1st,
 * 2nd, 4th, 8th, ... refusal is logged with its running count. Keyed by kind only (a claimed sender
 * id is chosen by the sender, so keying by it would be an unbounded map). Confined to the
 * transport's event loop.
 */
final class RefusalLog<K extends Enum<K>> {
  private final System.Logger log;
  private final Level level;
  private final Map<K, Long> counts;

  RefusalLog(Class<K> kinds, System.Logger log, Level level) {
    this.counts = new EnumMap<>(kinds);
    this.log = log;
    this.level = level;
  }

  /** Counts one refusal; logs it when the count is a power of two. */
  void refused(K kind, String text) {
    long n = counts.merge(kind, 1L, Long::sum);
    if (Long.bitCount(n) == 1) {
      log.log(level, text + (n == 1 ? "" : " (" + n + " refused so far)"));
    }
  }

  long count(K kind) {
    return counts.getOrDefault(kind, 0L);
  }
}
