import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;

/**
 * The least a downloader on HttpClient 5 (the library the design prescribes) can do, as a floor
 * for the benchmark's 64 MiB case (goal 2b): N threads, each one range GET of 1/N of the file
 * through one pooled client, written in place. No TLS set-up (like rangefetch, which makes its
 * TLS context only for https), no cookies, no argument parsing, no checks.
 *
 * <p>{@code java -cp rangefetch-cli.jar:DIR HttpClientFloor URL SIZE OUT [N]}
 */
public final class HttpClientFloor {
  public static void main(String[] args) throws Exception {
    String url = args[0];
    long size = Long.parseLong(args[1]);
    int n = args.length > 3 ? Integer.parseInt(args[3]) : 8;
    long part = (size + n - 1) / n;
    try (CloseableHttpClient client = HttpClients.custom()
            .setConnectionManager(PoolingHttpClientConnectionManagerBuilder.create()
                .setTlsSocketStrategy((socket, target, port, attachment, context) -> {
                  throw new IOException("plain http only");
                })
                .setMaxConnTotal(n)
                .setMaxConnPerRoute(n)
                .build())
            .disableContentCompression()
            .disableCookieManagement()
            .build();
        FileChannel out = FileChannel.open(Path.of(args[2]), StandardOpenOption.CREATE,
            StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      Thread[] workers = new Thread[n];
      for (int i = 0; i < n; i++) {
        long first = i * part;
        long last = Math.min(size, first + part) - 1;
        workers[i] = new Thread(() -> fetch(client, url, first, last, out));
        workers[i].start();
      }
      for (Thread worker : workers) {
        worker.join();
      }
    }
  }

  private static void fetch(CloseableHttpClient client, String url, long first, long last,
      FileChannel out) {
    HttpGet get = new HttpGet(url);
    get.setHeader("Range", "bytes=" + first + "-" + last);
    try {
      client.execute(get, response -> {
        try (InputStream in = response.getEntity().getContent()) {
          byte[] buffer = new byte[1 << 20];
          long position = first;
          int read;
          while ((read = in.read(buffer)) > 0) {
            position += out.write(ByteBuffer.wrap(buffer, 0, read), position);
          }
          if (position != last + 1) {
            throw new IOException("got bytes " + first + "-" + (position - 1) + ", not up to " + last);
          }
        }
        return null;
      });
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
