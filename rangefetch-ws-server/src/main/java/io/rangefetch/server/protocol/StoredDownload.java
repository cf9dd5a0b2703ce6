package io.rangefetch.server.protocol;

import org.jspecify.annotations.Nullable;

/**
 * One download as the state file keeps it across restarts. Immutable and thread-safe.
 *
 * @param url the URL as added, credentials included, so that it can be fetched again
 * @param threads the threads asked for, or null
 * @param chunkBytes the request size asked for, or null
 * @param fileName the file name asked for, or null
 * @param expectedSha256 the digest asked for, or null
 * @param status the last status, as the protocol shows it
 */
public record StoredDownload(String url, @Nullable Integer threads, @Nullable Long chunkBytes,
    @Nullable String fileName, @Nullable String expectedSha256, StatusJson status) {}
