package io.rangefetch.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rangefetch.DownloadHandle;
import io.rangefetch.DownloadListener;
import io.rangefetch.DownloadResult;
import java.lang.reflect.Proxy;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;

/** Events of one download: in order, one hand-off per burst, a failing task stops nothing. */
class EventDispatcherTest {
  private final Queue<Runnable> handedOff = new ArrayDeque<>();
  private final Executor manual = handedOff::add;
  private final List<String> seen = new ArrayList<>();
  private final DownloadListener listener = new DownloadListener() {
    @Override
    public void downloadQueued(DownloadHandle download) {
      seen.add("queued");
    }

    @Override
    public void probeStart(DownloadHandle download) {
      seen.add("probe");
    }

    @Override
    public void downloadEnd(DownloadHandle download, DownloadResult result) {
      seen.add("end");
    }
  };

  @Test
  void aBurstOfEventsIsDeliveredInOrderAfterOneHandOff() {
    EventDispatcher events = new EventDispatcher(handle(), List.of(listener), manual);

    events.post((l, d) -> l.downloadQueued(d));
    events.post((l, d) -> l.probeStart(d));
    events.run(() -> seen.add("task"));
    events.post((l, d) -> l.downloadEnd(d, null));

    assertEquals(1, handedOff.size());
    runAll();
    assertEquals(List.of("queued", "probe", "task", "end"), seen);
  }

  @Test
  void eventsAfterAFailingTaskAndAFailingListenerStillArrive() {
    DownloadListener throwing = new DownloadListener() {
      @Override
      public void downloadQueued(DownloadHandle download) {
        throw new IllegalStateException("listener bug");
      }
    };
    EventDispatcher events = new EventDispatcher(handle(), List.of(throwing, listener), manual);

    events.post((l, d) -> l.downloadQueued(d));
    events.run(() -> {
      throw new IllegalStateException("task bug");
    });
    events.post((l, d) -> l.probeStart(d));
    runAll();
    events.post((l, d) -> l.downloadEnd(d, null));
    runAll();

    assertEquals(List.of("queued", "probe", "end"), seen);
  }

  private void runAll() {
    Runnable next;
    while ((next = handedOff.poll()) != null) {
      next.run();
    }
  }

  private static DownloadHandle handle() {
    return (DownloadHandle) Proxy.newProxyInstance(DownloadHandle.class.getClassLoader(),
        new Class<?>[] {DownloadHandle.class},
        (proxy, method, args) -> method.getName().equals("id") ? "d1" : null);
  }
}
