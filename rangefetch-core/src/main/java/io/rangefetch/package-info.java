/**
 * Parallel HTTP byte-range downloads.
 *
 * <p>Start with {@link io.rangefetch.RangeDownloader}: it checks whether a server really
 * serves byte ranges, then fetches one URL with several capped range requests in parallel
 * into one file. {@link io.rangefetch.Limits} caps the work, {@link io.rangefetch.DownloadRequest}
 * describes one download, and a {@link io.rangefetch.DownloadListener} receives its events.
 *
 * <p>Every type here is non-null by default.
 */
@NullMarked
package io.rangefetch;

import org.jspecify.annotations.NullMarked;
