package io.rangefetch.internal;

import io.rangefetch.DownloadException.Reason;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The {@code .part} file of one download: workers write at their offsets with positional
 * writes, and {@link #commit} renames it to the final name. Thread-safe: positional writes on
 * one {@link FileChannel} may run concurrently.
 */
final class PartFile implements AutoCloseable {

  private final Path path;
  private final FileChannel channel;

  private PartFile(Path path, FileChannel channel) {
    this.path = path;
    this.channel = channel;
  }

  /** Creates or truncates the part file that sits beside {@code target}. */
  static PartFile create(Path target) throws FetchFailure {
    Path path = PartFileNames.part(target);
    try {
      return new PartFile(path, FileChannel.open(path, StandardOpenOption.CREATE, LinkOption.NOFOLLOW_LINKS,
          StandardOpenOption.WRITE, StandardOpenOption.READ, StandardOpenOption.TRUNCATE_EXISTING));
    } catch (IOException e) {
      throw diskFailure("creating " + path, e);
    }
  }

  Path path() {
    return path;
  }

  /** Writes all of {@code buffer} at {@code position}. */
  void write(ByteBuffer buffer, long position) throws FetchFailure {
    try {
      long at = position;
      while (buffer.hasRemaining()) {
        at += channel.write(buffer, at);
      }
    } catch (IOException e) {
      throw diskFailure("writing " + path, e);
    }
  }

  /** Opens the part file of an earlier run as it is, to continue it. */
  static PartFile reopen(Path target) throws FetchFailure {
    Path path = PartFileNames.part(target);
    try {
      return new PartFile(path, FileChannel.open(path, LinkOption.NOFOLLOW_LINKS,
          StandardOpenOption.WRITE, StandardOpenOption.READ));
    } catch (IOException e) {
      throw diskFailure("opening " + path, e);
    }
  }

  /**
   * Forces written bytes to the disk, so that a control file may list them as done. It goes
   * through a channel of its own: closing the part file (to rename it at completion) would
   * otherwise wait until the force returns.
   *
   * @throws java.nio.file.NoSuchFileException if the part file was renamed or deleted meanwhile
   */
  void force() throws IOException {
    try (FileChannel own = FileChannel.open(path, StandardOpenOption.WRITE,
        LinkOption.NOFOLLOW_LINKS)) {
      own.force(false);
    }
  }

  /** Drops everything written, for a download that starts over. */
  void truncate() throws FetchFailure {
    try {
      channel.truncate(0);
    } catch (IOException e) {
      throw diskFailure("truncating " + path, e);
    }
  }

  long size() throws FetchFailure {
    try {
      return channel.size();
    } catch (IOException e) {
      throw diskFailure("reading the size of " + path, e);
    }
  }

  FileChannel channel() {
    return channel;
  }

  /** Closes the file and gives it its final name in one atomic rename. */
  void commit(Path target) throws FetchFailure {
    close();
    try {
      Files.move(path, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw diskFailure("renaming " + path + " to " + target, e);
    }
  }

  /** Closes and deletes the file; used when a download fails or is cancelled. */
  void discard() {
    close();
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      // Nothing more to do: the failure that led here is what the user needs to see.
    }
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      // Closing a file we only write positionally loses nothing that force() would keep.
    }
  }

  static FetchFailure diskFailure(String what, IOException e) {
    String detail = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return new FetchFailure(Reason.DISK, false, what + " failed: " + detail
        + "; check the download directory: free space, permissions, file name length", e, null,
        -1);
  }
}
