package raftsimple.statemachine;

import java.io.IOException;
import java.io.OutputStream;

/**
 * A state captured by {@link StateMachine#snapshotWriter()}, ready to be written. The node calls
 * {@link #writeTo} once, on a worker thread, while {@link StateMachine#apply} goes on: it must
 * write only what was captured and never look at the machine's live state.
 */
@FunctionalInterface
public interface SnapshotWriter {
  /**
   * Writes the captured state to {@code out} (the snapshot file, or a buffer); does not close it.
   * The bytes are what {@link StateMachine#restore(java.io.InputStream)} reads back.
   */
  void writeTo(OutputStream out) throws IOException;
}
