package io.rangefetch.server.download;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The downloads the server knows, in the order they were added, and the next id. Thread-safe. */
final class DownloadRegistry {
  // guarded by this: insertion order is creation order
  private final Map<String, ServerDownload> byId = new LinkedHashMap<>();
  // guarded by this: the same downloads by URL, oldest first, so that an add finds its URL
  // without a scan of the whole list (a scan per add made many adds quadratic)
  private final Map<String, List<ServerDownload>> byUrl = new HashMap<>();
  // guarded by this
  private long nextId = 1;

  synchronized String newId() {
    return Long.toString(nextId++);
  }

  synchronized long nextId() {
    return nextId;
  }

  synchronized void restore(long next, List<ServerDownload> downloads) {
    byId.clear();
    byUrl.clear();
    long highest = 0;
    for (ServerDownload d : downloads) {
      add(d);
      try {
        highest = Math.max(highest, Long.parseLong(d.id()));
      } catch (NumberFormatException e) {
        // Ids are numbers when this server made them; a hand-edited one only must not be reused.
      }
    }
    nextId = Math.max(next, highest + 1);
  }

  synchronized void add(ServerDownload download) {
    byId.put(download.id(), download);
    byUrl.computeIfAbsent(download.uri().toString(), url -> new ArrayList<>(1)).add(download);
  }

  synchronized Optional<ServerDownload> get(String id) {
    return Optional.ofNullable(byId.get(id));
  }

  /** @return whether {@code download} is on the list (not removed, not replaced) */
  synchronized boolean contains(ServerDownload download) {
    return byId.get(download.id()) == download;
  }

  synchronized boolean remove(String id) {
    ServerDownload removed = byId.remove(id);
    if (removed == null) {
      return false;
    }
    String url = removed.uri().toString();
    List<ServerDownload> same = byUrl.get(url);
    if (same != null && same.remove(removed) && same.isEmpty()) {
      byUrl.remove(url);
    }
    return true;
  }

  /**
   * Runs {@code change}, which gives {@code download} another URL, and files it under that URL
   * from now on.
   */
  synchronized void changeUrl(ServerDownload download, Runnable change) {
    String before = download.uri().toString();
    change.run();
    List<ServerDownload> same = byUrl.get(before);
    if (same != null) {
      same.remove(download);
      if (same.isEmpty()) {
        byUrl.remove(before);
      }
    }
    byUrl.computeIfAbsent(download.uri().toString(), url -> new ArrayList<>(1)).add(download);
  }

  synchronized int size() {
    return byId.size();
  }

  /**
   * Returns the download an {@code add} of the same URL answers with: not failed, not cancelled.
   *
   * @param url the URL as parsed
   * @return the newest such download
   */
  synchronized Optional<ServerDownload> findReusable(String url) {
    ServerDownload found = null;
    for (ServerDownload d : byUrl.getOrDefault(url, List.of())) {
      switch (d.state()) {
        case FAILED, CANCELLED -> { }
        default -> found = d;
      }
    }
    return Optional.ofNullable(found);
  }

  /** @return every download, oldest first */
  synchronized List<ServerDownload> oldestFirst() {
    return new ArrayList<>(byId.values());
  }

  /** @return every download, newest first */
  synchronized List<ServerDownload> newestFirst() {
    List<ServerDownload> list = new ArrayList<>(byId.values());
    Collections.reverse(list);
    return list;
  }
}
