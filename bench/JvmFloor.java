import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The least a JVM downloader can do, as a floor for the benchmark's 64 MiB case (goal 2b): N
 * threads, each one HTTP/1.1 range GET of 1/N of the file on a raw socket, written in place.
 * No HTTP library, no argument parsing, no checks: not a tool, a measure of what the JVM's
 * start and first requests cost before any library is loaded.
 *
 * <p>{@code java -cp DIR JvmFloor HOST PORT PATH SIZE OUT [N]}
 */
public final class JvmFloor {
  public static void main(String[] args) throws Exception {
    String host = args[0];
    int port = Integer.parseInt(args[1]);
    String path = args[2];
    long size = Long.parseLong(args[3]);
    int n = args.length > 5 ? Integer.parseInt(args[5]) : 8;
    long part = (size + n - 1) / n;
    try (FileChannel out = FileChannel.open(Path.of(args[4]), StandardOpenOption.CREATE,
        StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      Thread[] workers = new Thread[n];
      for (int i = 0; i < n; i++) {
        long first = i * part;
        long last = Math.min(size, first + part) - 1;
        workers[i] = new Thread(() -> fetch(host, port, path, first, last, out));
        workers[i].start();
      }
      for (Thread worker : workers) {
        worker.join();
      }
    }
  }

  private static void fetch(String host, int port, String path, long first, long last,
      FileChannel out) {
    try (Socket socket = new Socket(host, port)) {
      socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + host
          + "\r\nRange: bytes=" + first + "-" + last + "\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      InputStream in = socket.getInputStream();
      byte[] buffer = new byte[1 << 20];
      int filled = 0;
      int body = -1;
      while (body < 0) {
        int read = in.read(buffer, filled, buffer.length - filled);
        if (read < 0) {
          throw new IOException("the connection closed inside the headers");
        }
        filled += read;
        for (int k = 3; k < filled && body < 0; k++) {
          if (buffer[k - 3] == '\r' && buffer[k - 2] == '\n' && buffer[k - 1] == '\r'
              && buffer[k] == '\n') {
            body = k + 1;
          }
        }
      }
      long position = first;
      position += out.write(ByteBuffer.wrap(buffer, body, filled - body), position);
      int read;
      while ((read = in.read(buffer)) > 0) {
        position += out.write(ByteBuffer.wrap(buffer, 0, read), position);
      }
      if (position != last + 1) {
        throw new IOException("got bytes " + first + "-" + (position - 1) + ", not up to " + last);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
