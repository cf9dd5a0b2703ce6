package io.rangefetch.server.download;

import io.rangefetch.DownloadHandle;
import io.rangefetch.DownloadState;
import io.rangefetch.DownloadUrls;
import io.rangefetch.server.protocol.CommandException;
import io.rangefetch.server.protocol.ErrorCode;
import io.rangefetch.server.protocol.StatusJson;
import io.rangefetch.server.protocol.UpdateCommand;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sources an {@code update} gives a download: a new URL for the same file, other mirrors.
 * They are checked against the URL policy and applied as the download's state allows: a
 * running or paused download's core takes them (at once, or at {@code resume}); a failed one
 * runs again at once from the bytes on disk, which the core keeps when the new URL serves the
 * same file. Thread-safe.
 */
final class SourceUpdates {
  private static final Logger LOG = LoggerFactory.getLogger(SourceUpdates.class);

  private final UrlPolicy policy;
  private final DownloadRegistry registry;
  private final BiConsumer<ServerDownload, Long> retry;
  private final Consumer<ServerDownload> changed;

  /**
   * @param retry starts a run of a failed download again (its generation given), continuing
   *     its part file
   * @param changed records a changed download and tells every client
   */
  SourceUpdates(UrlPolicy policy, DownloadRegistry registry,
      BiConsumer<ServerDownload, Long> retry, Consumer<ServerDownload> changed) {
    this.policy = policy;
    this.registry = registry;
    this.retry = retry;
    this.changed = changed;
  }

  /**
   * Checks the mirrors of a download of {@code uri}: each an accepted URL, none twice.
   *
   * @return the mirrors as URIs
   * @throws CommandException {@code bad_url} for a refused URL, {@code bad_request} for a repeat
   */
  static List<URI> checkMirrors(UrlPolicy policy, URI uri, List<String> mirrors) {
    List<URI> checked = new ArrayList<>();
    for (String mirror : mirrors) {
      checked.add(policy.check(mirror));
    }
    try {
      return DownloadUrls.checkMirrors(uri, checked);
    } catch (IllegalArgumentException e) {
      throw new CommandException(ErrorCode.BAD_REQUEST, String.valueOf(e.getMessage()));
    }
  }

  /**
   * Applies {@code update} to {@code download}, the download {@code id} of this node.
   *
   * @param download the download, or null when it runs on another node of a cluster
   * @return its status after the update
   * @throws CommandException {@code bad_url}, {@code bad_request}, {@code conflict} if it
   *     completed, was cancelled or runs elsewhere
   */
  StatusJson apply(@Nullable ServerDownload download, String id, UpdateCommand update) {
    Objects.requireNonNull(update, "update");
    if (download == null) {
      throw new CommandException(ErrorCode.CONFLICT, "download " + id + " runs on another node"
          + " of the cluster, which takes no update yet; pause and remove it, then add it again");
    }
    URI uri = update.url() == null ? download.uri() : policy.check(update.url());
    List<String> mirrors = update.mirrors() == null ? download.options().mirrors()
        : update.mirrors();
    List<URI> mirrorUris = checkMirrors(policy, uri, mirrors);
    DownloadState state = download.state();
    if (state == DownloadState.COMPLETED || state == DownloadState.CANCELLED) {
      throw new CommandException(ErrorCode.CONFLICT, "download " + download.id() + " is "
          + state.name().toLowerCase(Locale.ROOT) + ", so it takes no new URL or mirrors;"
          + " add the URL again to download it anew");
    }
    registry.changeUrl(download, () -> download.changeSources(uri,
        mirrorUris.stream().map(URI::toString).toList()));
    DownloadHandle handle = download.handle();
    if (state == DownloadState.FAILED) {
      long generation = download.claimRetry();
      if (generation > 0) {
        retry.accept(download, generation);
      }
    } else if (handle != null) {
      try {
        if (update.url() != null) {
          handle.replaceUri(uri);
        }
        if (update.mirrors() != null) {
          handle.replaceMirrors(mirrorUris);
        }
      } catch (IllegalStateException e) {
        // The run ended meanwhile: the next one starts from the sources recorded above.
        LOG.debug("download {} ended before its update reached the core", download.id());
      }
    }
    changed.accept(download);
    return download.status();
  }
}
