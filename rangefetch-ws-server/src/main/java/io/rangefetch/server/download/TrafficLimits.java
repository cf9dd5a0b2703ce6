package io.rangefetch.server.download;

import io.rangefetch.DownloadState;
import io.rangefetch.Limits;
import io.rangefetch.RangeDownloader;
import io.rangefetch.TrafficStatus;
import io.rangefetch.server.protocol.CommandException;
import io.rangefetch.server.protocol.ErrorCode;
import io.rangefetch.server.protocol.SetLimitsCommand;
import io.rangefetch.server.protocol.StatusJson;
import io.rangefetch.server.protocol.UpdateCommand;
import java.util.Locale;

/**
 * The commands that change how fast the server downloads: a download's own rate limit
 * ({@code update}) and the limits over all of this server's downloads ({@code setLimits}). Each
 * checks every field before it changes anything. Thread-safe.
 */
public final class TrafficLimits {
  /**
   * The lowest rate the downloader takes ({@link RangeDownloader#limitRate(long)}); a lower one
   * asked for gets this, and the status shows it, as a thread count above the cap gets the cap.
   */
  static final long MIN_BYTES_PER_SECOND = 1024;

  private final RangeDownloader downloader;
  private final DownloadService service;

  TrafficLimits(RangeDownloader downloader, DownloadService service) {
    this.downloader = downloader;
    this.service = service;
  }

  /**
   * Returns the caps the server was configured with.
   *
   * @return the downloader's limits
   */
  public Limits caps() {
    return downloader.limits();
  }

  /**
   * Returns the traffic limits in force now.
   *
   * @return the global rate limit, the per-host cap and how hosts have answered
   */
  public TrafficStatus now() {
    return downloader.traffic();
  }

  /**
   * Changes the limits over all downloads of this server; the fields left out stay as they are.
   *
   * @param command the fields of the {@code setLimits}
   * @return the limits in force afterwards
   * @throws CommandException {@code bad_request} if {@code maxConnectionsPerHost} is above the
   *     configured cap; then nothing changes
   */
  public TrafficStatus set(SetLimitsCommand command) {
    Integer hostCap = command.maxConnectionsPerHost();
    int ceiling = caps().maxConnectionsPerHost();
    if (hostCap != null && hostCap > ceiling) {
      throw new CommandException(ErrorCode.BAD_REQUEST, "maxConnectionsPerHost must be between 1"
          + " and " + ceiling + " (the server's max-connections-per-host), was " + hostCap
          + "; nothing was changed; start the server with a higher"
          + " --max-connections-per-host to allow more");
    }
    if (command.downloadBps() != null) {
      downloader.limitRate(atLeastTheMinimum(command.downloadBps()));
    }
    if (hostCap != null) {
      downloader.limitConnectionsPerHost(hostCap);
    }
    return now();
  }

  /**
   * Changes a download's own rate limit, at once for a running one; it is kept across restarts.
   *
   * @param download a download this server runs
   * @param command the fields of the {@code update}
   * @return the status afterwards
   * @throws CommandException {@code conflict} if the download completed or was cancelled
   */
  StatusJson update(ServerDownload download, UpdateCommand command) {
    Long asked = command.limitBps();
    if (asked == null) {
      return download.status();
    }
    limit(download, asked);
    service.changedByCommand(download);
    return download.status();
  }

  /**
   * Sets a download's own rate limit, checked against its state: of a download this server
   * runs, or of one restored from the record of a download no node of the cluster runs.
   *
   * @param asked bytes per second, or 0 for none
   * @throws CommandException {@code conflict} if the download completed or was cancelled
   */
  static void limit(ServerDownload download, long asked) {
    DownloadState state = download.state();
    if (state == DownloadState.COMPLETED || state == DownloadState.CANCELLED) {
      throw new CommandException(ErrorCode.CONFLICT, "download " + download.id() + " is "
          + state.name().toLowerCase(Locale.ROOT) + ", so its limit cannot change; add the URL"
          + " again with \"limitBps\" to download it anew at that rate");
    }
    download.limitRate(atLeastTheMinimum(asked));
  }

  /** 0 (no limit) stays 0; a rate below the downloader's lowest becomes that. */
  private static long atLeastTheMinimum(long bytesPerSecond) {
    return bytesPerSecond == 0 ? 0 : Math.max(MIN_BYTES_PER_SECOND, bytesPerSecond);
  }
}
