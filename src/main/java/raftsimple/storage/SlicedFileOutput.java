package raftsimple.storage;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;

/**
 * A buffered stream into a file that is made durable in slices: every {@link
 * SnapshotStore#WRITE_SLICE_BYTES} bytes it fsyncs what it wrote, so the dirty data waiting for the
 * disk stays small and the WAL's own small fsyncs never queue behind tens of MB (the p99 of writes
 * during a snapshot, bench/catchup.sh). Optionally feeds every byte to a digest. Not thread-safe;
 * {@link #close} flushes but neither fsyncs nor closes the channel (the owner does both).
 */
final class SlicedFileOutput extends OutputStream {
  static final int BUFFER_BYTES = 256 << 10;

  private final FileChannel channel;
  private final MessageDigest digest;
  private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES);
  private long written;
  private long syncedAt;

  /** @param digest updated with every byte written, or null */
  SlicedFileOutput(FileChannel channel, MessageDigest digest) {
    this.channel = channel;
    this.digest = digest;
  }

  /** Bytes written so far (buffered ones included). */
  long count() {
    return written + buffer.position();
  }

  @Override
  public void write(int b) throws IOException {
    if (!buffer.hasRemaining()) {
      drain();
    }
    buffer.put((byte) b);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    while (len > 0) {
      if (!buffer.hasRemaining()) {
        drain();
      }
      int n = Math.min(len, buffer.remaining());
      buffer.put(b, off, n);
      off += n;
      len -= n;
    }
  }

  @Override
  public void flush() throws IOException {
    drain();
  }

  @Override
  public void close() throws IOException {
    drain();
  }

  private void drain() throws IOException {
    buffer.flip();
    if (digest != null) {
      digest.update(buffer.array(), 0, buffer.limit());
    }
    while (buffer.hasRemaining()) {
      written += channel.write(buffer);
    }
    buffer.clear();
    if (written - syncedAt >= SnapshotStore.WRITE_SLICE_BYTES) {
      channel.force(false);
      syncedAt = written;
    }
  }
}
