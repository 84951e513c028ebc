package raftsimple.e2e;

import java.util.ArrayList;
import java.util.List;

/** Elapsed time per phase of a test, printed at its end: where the seconds go. */
final class Phases {
  private final String test;
  private final List<String> marks = new ArrayList<>();
  private long last = System.nanoTime();

  Phases(String test) {
    this.test = test;
  }

  String name() {
    return test;
  }

  void mark(String phase) {
    long now = System.nanoTime();
    marks.add(phase + " " + (now - last) / 1_000_000 + " ms");
    last = now;
  }

  @Override
  public String toString() {
    return test + " phases: " + String.join(", ", marks);
  }
}
