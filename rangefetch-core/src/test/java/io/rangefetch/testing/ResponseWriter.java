package io.rangefetch.testing;

import java.io.IOException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import mockwebserver3.MockResponse;
import mockwebserver3.internal.MockWebServerSocket;
import okio.BufferedSink;
import okio.Socket;

/**
 * Writes a {@link RangeDispatcher}'s planned responses to the wire: the headers, then the body
 * through the socket in slices at the set pace, ended as the plan says (complete, cut with a
 * FIN, stalled, or reset when a write fails). Thread-safe: the pace may change while bodies are
 * being written.
 */
final class ResponseWriter {
  static final int WRITE_SLICE = 16 * 1024;

  private final ExchangeLog log;
  // Configuration: written by the test before the download starts (the pace also while it
  // runs), read by server threads.
  private volatile int fillerHeaders;
  private volatile int sliceBytes = WRITE_SLICE;
  private volatile long slicePauseNanos;
  private volatile int slowConnection = -1;
  private volatile int slowSliceBytes;
  private volatile long slowPauseNanos;
  private volatile boolean closeAfterEachResponse;
  private volatile int sendBufferBytes;
  // The connections a response ended: cut, held until the client left, or failed.
  private final Set<Integer> cutConnections = ConcurrentHashMap.newKeySet();

  ResponseWriter(ExchangeLog log) {
    this.log = log;
  }

  void fillerHeaders(int count) {
    this.fillerHeaders = count;
  }

  void throttle(int bytes, long pauseNanos) {
    this.sliceBytes = bytes;
    this.slicePauseNanos = pauseNanos;
  }

  void throttleConnection(int connectionIndex, int bytes, long pauseNanos) {
    this.slowSliceBytes = bytes;
    this.slowPauseNanos = pauseNanos;
    this.slowConnection = connectionIndex;
  }

  void closeAfterEachResponse() {
    this.closeAfterEachResponse = true;
  }

  void sendBuffer(int bytes) {
    this.sendBufferBytes = bytes;
  }

  /** Whether a response on this connection already ended it. */
  boolean wasCut(int connectionIndex) {
    return cutConnections.contains(connectionIndex);
  }

  /** The response for {@code exchange}: its headers, and a handler that writes its body. */
  MockResponse respond(Exchange exchange, ResponsePlan plan) {
    exchange.answered(plan.code);
    MockResponse.Builder builder = new MockResponse.Builder().code(plan.code).clearHeaders();
    for (String[] header : plan.headers) {
      builder.addHeaderLenient(header[0], header[1]);
    }
    for (int i = 0; i < fillerHeaders; i++) {
      builder.addHeaderLenient("X-Filler-" + i, "f" + i);
    }
    if (!plan.rawContentLengths.isEmpty()) {
      plan.rawContentLengths.forEach(v -> builder.addHeaderLenient("Content-Length", v));
    } else if (plan.framing == Framing.CHUNKED) {
      builder.addHeaderLenient("Transfer-Encoding", "chunked");
    } else if (plan.framing == Framing.CONTENT_LENGTH) {
      long declared = plan.declaredLength >= 0 ? plan.declaredLength : plan.length;
      builder.addHeaderLenient("Content-Length", declared);
    }
    if (plan.framing == Framing.CLOSE_DELIMITED) {
      builder.addHeaderLenient("Connection", "close");
    }
    return builder.socketHandler(socket -> writeBody(exchange, plan, socket)).build();
  }

  private void writeBody(Exchange exchange, ResponsePlan plan, Socket socket) {
    MockWebServerSocket server = (MockWebServerSocket) socket;
    log.enterFlight();
    try {
      if (plan.stall && plan.cutAfter < 0) {
        cutConnections.add(exchange.connectionIndex());
        holdUntilTheClientLeaves(server);
        return;
      }
      if (plan.head) {
        return;
      }
      if (sendBufferBytes > 0) {
        server.getJavaNetSocket().setSendBufferSize(sendBufferBytes);
      }
      BufferedSink sink = server.getSink();
      long toWrite = plan.cutAfter >= 0 ? plan.cutAfter : plan.length;
      long written = 0;
      boolean slow = exchange.connectionIndex() == slowConnection;
      while (written < toWrite) {
        // Read each slice: a change of pace applies to the bodies being written.
        int slice = slow ? slowSliceBytes : sliceBytes;
        long pause = slow ? slowPauseNanos : slicePauseNanos;
        int n = plan.hooks.slice(written, (int) Math.min(slice, toWrite - written));
        // Counted before the flush: the client may finish reading before this thread goes on.
        log.served(exchange, n);
        plan.hooks.beforeSlice();
        boolean flushed = false;
        try {
          writeSlice(sink, plan, written, n);
          flushed = true;
        } finally {
          plan.hooks.afterSlice(flushed ? n : 0, flushed ? written + n : written, toWrite);
        }
        written += n;
        if (pause > 0 && written < toWrite) {
          server.sleepWhileOpen(pause);
        }
      }
      if (plan.framing == Framing.CHUNKED && plan.cutAfter < 0) {
        sink.writeUtf8("0\r\n\r\n");
        sink.flush();
      }
      if (plan.stall) {
        cutConnections.add(exchange.connectionIndex());
        holdUntilTheClientLeaves(server);
      } else if (plan.cutAfter >= 0 || plan.framing == Framing.CLOSE_DELIMITED
          || closeAfterEachResponse) {
        cutConnections.add(exchange.connectionIndex());
        // A FIN, not a reset: the client reads every byte written, then the end of the stream.
        server.shutdownOutput();
      }
    } catch (IOException e) {
      cutConnections.add(exchange.connectionIndex());
      server.cancel();
    } finally {
      log.exitFlight();
    }
  }

  private static void writeSlice(BufferedSink sink, ResponsePlan plan, long written, int n)
      throws IOException {
    if (plan.framing == Framing.CHUNKED) {
      sink.writeUtf8(Integer.toHexString(n)).writeUtf8("\r\n");
    }
    sink.write(plan.bytes, (int) (plan.offset + written), n);
    if (plan.framing == Framing.CHUNKED) {
      sink.writeUtf8("\r\n");
    }
    sink.flush();
  }

  /** Sends nothing more until the client hangs up (or the server closes). */
  private static void holdUntilTheClientLeaves(MockWebServerSocket server) throws IOException {
    server.getSource().exhausted();
    server.cancel();
  }
}
