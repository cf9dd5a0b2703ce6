package io.rangefetch.internal;

import io.rangefetch.DownloadRequest;
import io.rangefetch.SourceStatus;
import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The URLs one download fetches from, the request's own first, and how many connections each
 * has now. New connections go to the active source with the fewest; a connection on a source
 * that has more than its share moves at its next chunk. Since free connections take the next
 * chunk and the tails of slow ones, a faster source then gets more of the work by itself.
 * Thread-safe: the counts are guarded by this.
 */
final class Sources {
  private final Source main;
  private final Map<String, String> headers;
  private final ProxyRoutes.Route route;
  // Replaced whole under this, read without it.
  private volatile List<Source> all;
  // Guarded by this: connections open now, per source.
  private final Map<Source, Integer> connections = new IdentityHashMap<>();

  /**
   * @param route how every source's requests go: directly or through the download's proxy
   */
  Sources(DownloadRequest request, ProxyRoutes.Route route) {
    this.headers = request.headers();
    this.route = route;
    this.main = new Source(request.uri(), headers, route, true);
    this.all = List.of(main);
    replaceMirrors(request.mirrors());
  }

  /** The request's own URL (or the one that replaced it). */
  Source main() {
    return main;
  }

  /**
   * Takes {@code mirrors} as the download's mirrors: those it had already stay as they are,
   * new ones wait for their check, and those not named any more are no longer used.
   */
  synchronized void replaceMirrors(List<URI> mirrors) {
    List<Source> list = new ArrayList<>();
    list.add(main);
    for (URI mirror : mirrors) {
      Source kept = null;
      for (Source s : all) {
        if (!s.main && s.uri().equals(mirror) && s.state() != SourceStatus.State.DROPPED) {
          kept = s;
        }
      }
      list.add(kept != null ? kept : new Source(mirror, headers, route, false));
    }
    for (Source s : all) {
      if (!list.contains(s)) {
        s.drop("removed from the mirrors"); // its connections move at their next chunk
      }
    }
    all = List.copyOf(list);
  }

  List<Source> all() {
    return all;
  }

  /** Whether the request named mirrors. */
  boolean hasMirrors() {
    return all.size() > 1;
  }

  /** The active sources, the one with the fewest connections first. */
  synchronized List<Source> byLoad() {
    List<Source> active = new ArrayList<>();
    for (Source s : all) {
      if (s.active()) {
        active.add(s);
      }
    }
    active.sort(Comparator.comparingInt(this::count));
    return active;
  }

  synchronized void connected(Source source) {
    connections.merge(source, 1, Integer::sum);
  }

  synchronized void disconnected(Source source) {
    connections.merge(source, -1, Integer::sum);
  }

  /**
   * Whether a connection on {@code source} should end after its current chunk: the source is
   * no longer used, or it has two connections more than another active source (a mirror
   * checked while every connection was on the first URL).
   */
  synchronized boolean shouldMove(Source source) {
    if (!source.active()) {
      return true;
    }
    int mine = count(source);
    for (Source other : all) {
      if (other != source && other.active() && count(other) < mine - 1) {
        return true;
      }
    }
    return false;
  }

  private int count(Source source) {
    return connections.getOrDefault(source, 0);
  }

  /** Takes a sample of each source's bytes, for its rate. */
  void sample(long now) {
    for (Source s : all) {
      s.sample(now);
    }
  }

  List<SourceStatus> statuses(boolean moving) {
    List<SourceStatus> list = new ArrayList<>(all.size());
    for (Source s : all) {
      list.add(s.status(moving));
    }
    return list;
  }
}
