package io.rangefetch.testing;

import io.rangefetch.ByteRange;
import io.rangefetch.DownloadException;
import io.rangefetch.DownloadHandle;
import io.rangefetch.DownloadListener;
import io.rangefetch.DownloadResult;
import io.rangefetch.DownloadStatus;
import io.rangefetch.Probe;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/**
 * Records every event it receives, in order, with its arguments. Thread-safe; tests wait for an
 * event with {@link #await(String, Duration)} instead of sleeping.
 */
public final class RecordingDownloadListener implements DownloadListener {
  public static final Set<String> TERMINAL =
      Set.of("downloadEnd", "downloadFailed", "downloadCancelled");

  /** One call: the method name, the download, and the other arguments. */
  public record Event(String name, DownloadHandle download, List<Object> args) {
    public ByteRange range() {
      return (ByteRange) args.get(0);
    }

    public int attempt() {
      return (Integer) args.get(1);
    }

    public boolean willRetry() {
      return (Boolean) args.get(2);
    }

    /** The cause of a {@code chunkFailed}. */
    public DownloadException cause() {
      return (DownloadException) args.get(1);
    }

    public DownloadStatus status() {
      return (DownloadStatus) args.get(0);
    }

    public Probe probe() {
      return (Probe) args.get(0);
    }

    @Override
    public String toString() {
      return args.isEmpty() || args.get(0) instanceof DownloadStatus ? name : name + args;
    }
  }

  private final List<Event> events = new ArrayList<>(); // guarded by this

  private synchronized void record(String name, DownloadHandle download, Object... args) {
    events.add(new Event(name, download, Arrays.asList(args)));
    notifyAll();
  }

  /** Every event so far, in order. */
  public synchronized List<Event> events() {
    return List.copyOf(events);
  }

  /** The names of every event so far, in order. */
  public synchronized List<String> names() {
    return events.stream().map(Event::name).toList();
  }

  /** The names in order, without {@code progress}, whose count depends on timing. */
  public synchronized List<String> namesWithoutProgress() {
    return events.stream().map(Event::name).filter(n -> !n.equals("progress")).toList();
  }

  public synchronized List<Event> named(String name) {
    return events.stream().filter(e -> e.name().equals(name)).toList();
  }

  /** Waits for the first event named {@code name}. */
  public Event await(String name, Duration timeout) throws InterruptedException, TimeoutException {
    return await(e -> e.name().equals(name), name, timeout);
  }

  /** Waits for the first of the three last events. */
  public Event awaitTerminal(Duration timeout) throws InterruptedException, TimeoutException {
    return await(e -> TERMINAL.contains(e.name()), "a terminal event", timeout);
  }

  public synchronized Event await(Predicate<Event> matching, String what, Duration timeout)
      throws InterruptedException, TimeoutException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      for (Event e : events) {
        if (matching.test(e)) {
          return e;
        }
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new TimeoutException("no " + what + " within " + timeout + "; events: " + events);
      }
      wait(Math.max(1, left / 1_000_000));
    }
  }

  @Override
  public void downloadQueued(DownloadHandle download) {
    record("downloadQueued", download);
  }

  @Override
  public void probeStart(DownloadHandle download) {
    record("probeStart", download);
  }

  @Override
  public void probeEnd(DownloadHandle download, Probe probe) {
    record("probeEnd", download, probe);
  }

  @Override
  public void sourceChanged(DownloadHandle download, io.rangefetch.SourceStatus source) {
    record("sourceChanged", download, source);
  }

  @Override
  public void downloadContinued(DownloadHandle download, long bytesOnDisk) {
    record("downloadContinued", download, bytesOnDisk);
  }

  @Override
  public void chunkStart(DownloadHandle download, ByteRange range, int attempt) {
    record("chunkStart", download, range, attempt);
  }

  @Override
  public void chunkEnd(DownloadHandle download, ByteRange range) {
    record("chunkEnd", download, range);
  }

  @Override
  public void chunkFailed(DownloadHandle download, ByteRange range, DownloadException cause,
      boolean willRetry) {
    record("chunkFailed", download, range, cause, willRetry);
  }

  @Override
  public void chunkSplit(DownloadHandle download, ByteRange range, ByteRange moved) {
    record("chunkSplit", download, range, moved);
  }

  @Override
  public void chunkRaced(DownloadHandle download, ByteRange range) {
    record("chunkRaced", download, range);
  }

  @Override
  public void progress(DownloadHandle download, DownloadStatus status) {
    record("progress", download, status);
  }

  @Override
  public void downloadPaused(DownloadHandle download) {
    record("downloadPaused", download);
  }

  @Override
  public void downloadResumed(DownloadHandle download) {
    record("downloadResumed", download);
  }

  @Override
  public void downloadEnd(DownloadHandle download, DownloadResult result) {
    record("downloadEnd", download, result);
  }

  @Override
  public void downloadFailed(DownloadHandle download, DownloadException cause) {
    record("downloadFailed", download, cause);
  }

  @Override
  public void downloadCancelled(DownloadHandle download) {
    record("downloadCancelled", download);
  }
}
