package io.rangefetch.server.download;

import io.rangefetch.SourceStatus;
import io.rangefetch.server.protocol.MirrorJson;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The status's {@code mirrors} of one download, from the core's sources: null for a download
 * of one URL with nothing to say about it, else one entry per source, the URL first.
 */
final class MirrorsJson {
  private MirrorsJson() {}

  /**
   * The {@code mirrors} of a download of {@code uri} with {@code mirrors}, as the core last
   * told them in {@code sources} (or, when it told other URLs or nothing yet, all unused).
   */
  static @Nullable List<MirrorJson> of(URI uri, List<String> mirrors, List<SourceStatus> sources,
      boolean downloading) {
    List<String> urls = new ArrayList<>();
    urls.add(UrlPolicy.redact(uri));
    for (String mirror : mirrors) {
      urls.add(UrlPolicy.redact(URI.create(mirror)));
    }
    boolean current = sources.size() == urls.size();
    for (int i = 0; current && i < urls.size(); i++) {
      current = urls.get(i).equals(sources.get(i).uri().toString());
    }
    if (!current) {
      if (mirrors.isEmpty()) {
        return null;
      }
      List<MirrorJson> unused = new ArrayList<>();
      for (String url : urls) {
        unused.add(new MirrorJson(url, "unused", 0, 0, null));
      }
      return unused;
    }
    if (mirrors.isEmpty() && sources.get(0).note().isEmpty()) {
      return null;
    }
    List<MirrorJson> list = new ArrayList<>();
    for (SourceStatus s : sources) {
      list.add(new MirrorJson(s.uri().toString(), s.state().name().toLowerCase(Locale.ROOT),
          s.bytes(), downloading ? s.bytesPerSecond() : 0, s.note().isEmpty() ? null : s.note()));
    }
    return list;
  }

  /** The sources a state file kept, as the core would tell them. */
  static List<SourceStatus> sources(@Nullable List<MirrorJson> kept) {
    if (kept == null) {
      return List.of();
    }
    List<SourceStatus> list = new ArrayList<>();
    for (MirrorJson m : kept) {
      list.add(new SourceStatus(URI.create(m.url()),
          SourceStatus.State.valueOf(m.state().toUpperCase(Locale.ROOT)), m.bytes(), 0,
          m.note() == null ? "" : m.note()));
    }
    return list;
  }
}
