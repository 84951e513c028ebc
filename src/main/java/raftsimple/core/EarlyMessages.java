package raftsimple.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import raftsimple.core.msg.Message;

/**
 * Messages about instances this node has not reached yet (it is behind: the brief's "head does not
 * match, wait"), kept to be replayed when it reaches their head (docs/PROTOCOL.md §3). Bounded: the
 * oldest is dropped first; a dropped message is retransmitted by its sender.
 */
final class EarlyMessages {
  static final int MAX = 1_024;

  private final ArrayDeque<Message> kept = new ArrayDeque<>();

  void keep(Message m) {
    if (kept.size() >= MAX) {
      kept.pollFirst();
    }
    kept.addLast(m);
  }

  /**
   * Removes and returns the messages about the instance at {@code length}, in arrival order;
   * messages about older instances are dropped.
   */
  List<Message> takeAt(long length) {
    List<Message> ready = new ArrayList<>();
    for (Iterator<Message> it = kept.iterator(); it.hasNext(); ) {
      Message m = it.next();
      if (m.length() < length) {
        it.remove();
      } else if (m.length() == length) {
        it.remove();
        ready.add(m);
      }
    }
    return ready;
  }
}
