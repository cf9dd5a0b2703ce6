import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP relay with a bandwidth limit per accepted connection, for the rangefetch benchmark.
 *
 * <p>Run it with the JDK source launcher, no build step:
 *
 * <pre>
 *   java bench/Relay.java LISTEN_PORT TARGET_PORT BYTES_PER_SECOND [PARENT_PID] [MAX_SECONDS]
 * </pre>
 *
 * <p>Listens on 127.0.0.1:LISTEN_PORT; every accepted connection gets its own connection to
 * 127.0.0.1:TARGET_PORT and its own token bucket of BYTES_PER_SECOND, shared by both directions
 * (the request bytes are negligible; the point is that a connection, however many requests it
 * carries, never goes faster than the limit). The bucket starts empty and holds at most {@link #BURST_SECONDS} of
 * tokens (400 KiB at 20 MiB/s), so an idle keep-alive connection cannot save up a large
 * burst, while a sleep that overshoots by a few milliseconds on a busy machine loses no rate.
 *
 * <p>Bounded: at most {@link #MAX_CONNECTIONS} connections at once (more wait in the backlog),
 * a fixed 64 KiB buffer per direction, and it exits by itself when PARENT_PID is gone (checked
 * every 500 ms) or after MAX_SECONDS (default 3 hours).
 */
public final class Relay {
  static final int MAX_CONNECTIONS = 256;
  static final int BUFFER = 64 * 1024;
  static final double BURST_SECONDS = 0.02;

  /** A token bucket, one per accepted connection; both directions draw from it. */
  static final class Bucket {
    private final double rate; // bytes per nanosecond
    private final long burstNanos;
    private long freeAt; // nanoTime when the bucket is full of debt-free time

    Bucket(long bytesPerSecond) {
      this.rate = bytesPerSecond / 1e9;
      this.burstNanos = (long) (BURST_SECONDS * 1e9);
      // Starts empty: a new connection gets no burst, so opening connections often gains nothing.
      this.freeAt = System.nanoTime();
    }

    /** Takes n bytes' worth of tokens; returns how long the caller must wait before sending. */
    synchronized long take(int n) {
      long now = System.nanoTime();
      if (freeAt < now - burstNanos) {
        freeAt = now - burstNanos; // a full bucket holds burstNanos worth of bytes
      }
      freeAt += (long) (n / rate);
      return freeAt - now;
    }
  }

  static final AtomicLong ACTIVE = new AtomicLong();
  static final AtomicLong TOTAL = new AtomicLong();

  public static void main(String[] args) throws Exception {
    if (args.length < 3) {
      System.err.println(
          "usage: java Relay.java LISTEN_PORT TARGET_PORT BYTES_PER_SECOND [PARENT_PID] [MAX_SECONDS]");
      System.exit(2);
    }
    int listenPort = Integer.parseInt(args[0]);
    int targetPort = Integer.parseInt(args[1]);
    long rate = Long.parseLong(args[2]);
    long parentPid = args.length > 3 ? Long.parseLong(args[3]) : -1;
    long maxSeconds = args.length > 4 ? Long.parseLong(args[4]) : 3 * 3600;
    InetAddress loopback = InetAddress.getLoopbackAddress();

    Thread watchdog =
        new Thread(
            () -> {
              long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(maxSeconds);
              while (true) {
                boolean parentGone =
                    parentPid > 0
                        && ProcessHandle.of(parentPid).map(p -> !p.isAlive()).orElse(true);
                if (parentGone || System.nanoTime() > deadline) {
                  System.err.println(
                      "relay: exiting ("
                          + (parentGone ? "parent " + parentPid + " gone" : "time limit")
                          + "), connections served: "
                          + TOTAL.get());
                  Runtime.getRuntime().halt(0);
                }
                try {
                  Thread.sleep(500);
                } catch (InterruptedException e) {
                  return;
                }
              }
            },
            "watchdog");
    watchdog.setDaemon(true);
    watchdog.start();

    Semaphore slots = new Semaphore(MAX_CONNECTIONS);
    try (ServerSocket server = new ServerSocket()) {
      server.setReuseAddress(true);
      server.bind(new InetSocketAddress(loopback, listenPort), 128);
      System.out.println(
          "relay: 127.0.0.1:" + listenPort + " -> 127.0.0.1:" + targetPort + " at " + rate
              + " B/s per connection");
      System.out.flush();
      while (true) {
        slots.acquire();
        Socket client = server.accept();
        TOTAL.incrementAndGet();
        ACTIVE.incrementAndGet();
        Thread t =
            new Thread(() -> serve(client, loopback, targetPort, rate, slots), "conn");
        t.setDaemon(true);
        t.start();
      }
    }
  }

  static void serve(Socket client, InetAddress host, int port, long rate, Semaphore slots) {
    try (client;
        Socket upstream = new Socket()) {
      client.setTcpNoDelay(true);
      upstream.setTcpNoDelay(true);
      upstream.connect(new InetSocketAddress(host, port), 5000);
      Bucket bucket = new Bucket(rate);
      Thread up =
          new Thread(() -> pump(client, upstream, bucket), "up");
      up.setDaemon(true);
      up.start();
      pump(upstream, client, bucket);
      up.join();
    } catch (IOException | InterruptedException e) {
      // connection ends
    } finally {
      ACTIVE.decrementAndGet();
      slots.release();
    }
  }

  /** Copies from one socket to the other until EOF, paced by the bucket. */
  static void pump(Socket from, Socket to, Bucket bucket) {
    byte[] buf = new byte[BUFFER];
    try {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      while (true) {
        int n = in.read(buf);
        if (n < 0) {
          break;
        }
        long wait = bucket.take(n);
        if (wait > 0) {
          sleepNanos(wait);
        }
        out.write(buf, 0, n);
      }
      to.shutdownOutput();
    } catch (SocketException e) {
      closeQuietly(from, to);
    } catch (IOException e) {
      closeQuietly(from, to);
    }
  }

  static void sleepNanos(long nanos) {
    try {
      Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static void closeQuietly(Socket a, Socket b) {
    try {
      a.close();
    } catch (IOException ignored) {
      // closing
    }
    try {
      b.close();
    } catch (IOException ignored) {
      // closing
    }
  }
}
