import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
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
 *        [--listen-host ADDR] [--slow-conn N --slow-rate BYTES_PER_SECOND] [--control-port P]
 * </pre>
 *
 * <p>Listens on 127.0.0.1:LISTEN_PORT; every accepted connection gets its own connection to
 * 127.0.0.1:TARGET_PORT and its own token bucket of BYTES_PER_SECOND, shared by both directions
 * (the request bytes are negligible; the point is that a connection, however many requests it
 * carries, never goes faster than the limit). The bucket starts empty and holds at most {@link #BURST_SECONDS} of
 * tokens (400 KiB at 20 MiB/s), so an idle keep-alive connection cannot save up a large
 * burst, while a sleep that overshoots by a few milliseconds on a busy machine loses no rate.
 *
 * <p>Options: {@code --listen-host} listens on another address than 127.0.0.1 (the long-link case
 * runs the relay inside a network namespace, behind the delay line). {@code --slow-conn N
 * --slow-rate R} gives the N-th connection of each run R bytes/s instead (the straggler case:
 * one slow connection among fast ones). A run starts with the relay and again with every
 * {@code reset} on the control port ({@code --control-port P}, loopback only, one line in and
 * one out: {@code stats} or {@code reset}, answered with each connection's rate, bytes sent to
 * the client and seconds open).
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
    private final long bytesPerSecond;
    private final long burstNanos;
    private long freeAt; // nanoTime when the bucket is full of debt-free time

    Bucket(long bytesPerSecond) {
      this.rate = bytesPerSecond / 1e9;
      this.bytesPerSecond = bytesPerSecond;
      this.burstNanos = (long) (BURST_SECONDS * 1e9);
      // Starts empty: a new connection gets no burst, so opening connections often gains nothing.
      this.freeAt = System.nanoTime();
    }

    long bytesPerSecond() {
      return bytesPerSecond;
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

  /** What one connection of the current run met, for the control port's report. */
  record ConnStats(int ordinal, long rate, long openedNanos, AtomicLong down, AtomicLong closedNanos) {}

  /** Connections since the start or the last {@code reset}; ordinals count from 1. */
  static final Object RUN_LOCK = new Object();
  static int runConnections;
  static List<ConnStats> runStats = new ArrayList<>();

  /** The command line: the positional arguments plus the options. */
  record Options(int listenPort, int targetPort, long rate, long parentPid, long maxSeconds,
      String listenHost, int slowConn, long slowRate, int controlPort) {

    static Options parse(String[] args) {
      List<String> positional = new ArrayList<>();
      String listenHost = "127.0.0.1";
      int slowConn = 0;
      long slowRate = 0;
      int controlPort = 0;
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        if (a.startsWith("--")) {
          if (i + 1 >= args.length) {
            throw new IllegalArgumentException("option " + a + " needs a value");
          }
          String v = args[++i];
          switch (a) {
            case "--listen-host" -> listenHost = v;
            case "--slow-conn" -> slowConn = positiveInt(a, v);
            case "--slow-rate" -> slowRate = positiveInt(a, v);
            case "--control-port" -> controlPort = positiveInt(a, v);
            default -> throw new IllegalArgumentException("unknown option " + a);
          }
        } else {
          positional.add(a);
        }
      }
      if (positional.size() < 3 || positional.size() > 5) {
        throw new IllegalArgumentException("expected 3 to 5 positional arguments, got " + positional.size());
      }
      if ((slowConn > 0) != (slowRate > 0)) {
        throw new IllegalArgumentException("--slow-conn and --slow-rate go together");
      }
      return new Options(positiveInt("LISTEN_PORT", positional.get(0)),
          positiveInt("TARGET_PORT", positional.get(1)), positiveInt("BYTES_PER_SECOND", positional.get(2)),
          positional.size() > 3 ? Long.parseLong(positional.get(3)) : -1,
          positional.size() > 4 ? positiveInt("MAX_SECONDS", positional.get(4)) : 3 * 3600,
          listenHost, slowConn, slowRate, controlPort);
    }

    static int positiveInt(String what, String v) {
      try {
        int n = Integer.parseInt(v);
        if (n > 0) {
          return n;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new IllegalArgumentException(what + " must be a positive integer, got '" + v + "'");
    }

    /** The rate of the connection with this ordinal (counted from 1 per run). */
    long rateOf(int ordinal) {
      return ordinal == slowConn ? slowRate : rate;
    }
  }

  static final String USAGE =
      "usage: java Relay.java LISTEN_PORT TARGET_PORT BYTES_PER_SECOND [PARENT_PID] [MAX_SECONDS]\n"
          + "         [--listen-host ADDR] [--slow-conn N --slow-rate BYTES_PER_SECOND] [--control-port P]";

  public static void main(String[] args) throws Exception {
    Options o;
    try {
      o = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("relay: " + e.getMessage() + "\n" + USAGE);
      System.exit(2);
      return;
    }
    InetAddress loopback = InetAddress.getLoopbackAddress();
    startWatchdog(o.parentPid(), o.maxSeconds());
    if (o.controlPort() > 0) {
      startControl(loopback, o.controlPort());
    }

    Semaphore slots = new Semaphore(MAX_CONNECTIONS);
    try (ServerSocket server = new ServerSocket()) {
      server.setReuseAddress(true);
      server.bind(new InetSocketAddress(InetAddress.getByName(o.listenHost()), o.listenPort()), 128);
      System.out.println(
          "relay: " + o.listenHost() + ":" + o.listenPort() + " -> 127.0.0.1:" + o.targetPort()
              + " at " + o.rate() + " B/s per connection"
              + (o.slowConn() > 0 ? ", connection #" + o.slowConn() + " of each run at " + o.slowRate() + " B/s" : ""));
      System.out.flush();
      while (true) {
        slots.acquire();
        Socket client = server.accept();
        TOTAL.incrementAndGet();
        ACTIVE.incrementAndGet();
        ConnStats stats;
        synchronized (RUN_LOCK) {
          int ordinal = ++runConnections;
          stats = new ConnStats(ordinal, o.rateOf(ordinal), System.nanoTime(), new AtomicLong(), new AtomicLong());
          runStats.add(stats);
        }
        Thread t =
            new Thread(() -> serve(client, loopback, o.targetPort(), stats, slots), "conn");
        t.setDaemon(true);
        t.start();
      }
    }
  }

  static void startWatchdog(long parentPid, long maxSeconds) {
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
  }

  /**
   * The control port (loopback only): one line in, one line out. {@code stats} reports the
   * connections of the current run; {@code reset} reports them and starts a new run, so the
   * connection ordinals (and with them the slow connection) count from 1 again. The harness
   * resets before every tool run: each tool meets the same slow connection.
   */
  static void startControl(InetAddress loopback, int port) throws IOException {
    ServerSocket control = new ServerSocket();
    control.setReuseAddress(true);
    control.bind(new InetSocketAddress(loopback, port), 8);
    Thread t =
        new Thread(
            () -> {
              while (true) {
                try (Socket s = control.accept()) {
                  s.setSoTimeout(5000);
                  BufferedReader in =
                      new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
                  String cmd = String.valueOf(in.readLine()).trim();
                  String reply;
                  synchronized (RUN_LOCK) {
                    reply = switch (cmd) {
                      case "stats", "reset" -> runSummary();
                      default -> "error: unknown command '" + cmd + "' (stats, reset)";
                    };
                    if (cmd.equals("reset")) {
                      runConnections = 0;
                      runStats = new ArrayList<>();
                    }
                  }
                  OutputStream out = s.getOutputStream();
                  out.write((reply + "\n").getBytes(StandardCharsets.US_ASCII));
                  out.flush();
                } catch (IOException e) {
                  // a broken control connection harms nothing else
                }
              }
            },
            "control");
    t.setDaemon(true);
    t.start();
  }

  /** One line: per connection of the run, its ordinal, rate, bytes sent to the client, seconds open. */
  static String runSummary() {
    StringBuilder b = new StringBuilder("connections=" + runConnections);
    long now = System.nanoTime();
    for (ConnStats c : runStats) {
      long closed = c.closedNanos().get();
      b.append(String.format(" #%d:%dB/s:%.1fMiB:%.1fs%s", c.ordinal(), c.rate(),
          c.down().get() / 1048576.0, ((closed == 0 ? now : closed) - c.openedNanos()) / 1e9,
          closed == 0 ? "(open)" : ""));
    }
    return b.toString();
  }

  static void serve(Socket client, InetAddress host, int port, ConnStats stats, Semaphore slots) {
    try (client;
        Socket upstream = new Socket()) {
      client.setTcpNoDelay(true);
      upstream.setTcpNoDelay(true);
      upstream.connect(new InetSocketAddress(host, port), 5000);
      Bucket bucket = new Bucket(stats.rate());
      Thread up =
          new Thread(() -> pump(client, upstream, bucket, new AtomicLong()), "up");
      up.setDaemon(true);
      up.start();
      pump(upstream, client, bucket, stats.down());
      up.join();
    } catch (IOException | InterruptedException e) {
      // connection ends
    } finally {
      stats.closedNanos().set(System.nanoTime());
      ACTIVE.decrementAndGet();
      slots.release();
    }
  }

  /** Copies from one socket to the other until EOF, paced by the bucket. */
  static void pump(Socket from, Socket to, Bucket bucket, AtomicLong counted) {
    byte[] buf = new byte[BUFFER];
    // at most 20 ms of the rate per write, so a slow connection trickles instead of sending
    // 64 KiB lumps a third of a second apart (the 20 MiB/s default keeps its 64 KiB)
    int step = (int) Math.max(1024, Math.min(BUFFER, bucket.bytesPerSecond() / 50));
    try {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      while (true) {
        int n = in.read(buf, 0, step);
        if (n < 0) {
          break;
        }
        long wait = bucket.take(n);
        if (wait > 0) {
          sleepNanos(wait);
        }
        out.write(buf, 0, n);
        counted.addAndGet(n);
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
