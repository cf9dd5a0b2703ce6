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
   * The sources of an {@code update}, checked.
   *
   * @param uri the download's URL afterwards
   * @param mirrors its mirrors afterwards
   */
  record Checked(URI uri, List<URI> mirrors) {
    List<String> mirrorUrls() {
      return mirrors.stream().map(URI::toString).toList();
    }
  }

  /**
   * Checks the sources of {@code update} against the policy and the download's state.
   *
   * @return the URL and mirrors the download takes
   * @throws CommandException {@code bad_url}, {@code bad_request}, {@code conflict} if it
   *     completed or was cancelled
   */
  static Checked check(UrlPolicy policy, ServerDownload download, UpdateCommand update) {
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
    return new Checked(uri, mirrorUris);
  }

  /**
   * Checks, before a cluster sends the update to the node that holds the download, the URLs it
   * gives: a refused one goes no further. That node checks it all again with {@link #check}.
   *
   * @throws CommandException {@code bad_url}, {@code bad_request}
   */
  static void checkUrls(UrlPolicy policy, UpdateCommand update) {
    URI uri = update.url() == null ? null : policy.check(update.url());
    List<String> mirrors = update.mirrors() == null ? List.of() : update.mirrors();
    if (uri != null) {
      checkMirrors(policy, uri, mirrors);
    } else {
      mirrors.forEach(policy::check);
    }
  }

  /**
   * Applies the sources of {@code update} to a download's record that no node of the cluster
   * runs, as {@link #apply} does to a download: a failed one is queued again, for the node that
   * claims it to continue from the bytes on disk.
   *
   * @param download the download restored from its record, in no registry
   * @throws CommandException as {@link #check}
   */
  static void applyToRecord(UrlPolicy policy, ServerDownload download, UpdateCommand update) {
    Checked checked = check(policy, download, update);
    download.changeSources(checked.uri(), checked.mirrorUrls());
    download.claimRetry();
  }

  /**
   * Applies {@code update} to {@code download}, a download this server runs.
   *
   * @return its status after the update
   * @throws CommandException {@code bad_url}, {@code bad_request}, {@code conflict} if it
   *     completed or was cancelled
   */
  StatusJson apply(ServerDownload download, UpdateCommand update) {
    Objects.requireNonNull(update, "update");
    Checked checked = check(policy, download, update);
    URI uri = checked.uri();
    List<URI> mirrorUris = checked.mirrors();
    DownloadState state = download.state();
    registry.changeUrl(download, () -> download.changeSources(uri, checked.mirrorUrls()));
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
