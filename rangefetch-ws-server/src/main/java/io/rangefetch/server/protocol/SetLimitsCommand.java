package io.rangefetch.server.protocol;

import org.jspecify.annotations.Nullable;

/**
 * The fields of a {@code setLimits}, checked for type; each is null when the message leaves it
 * out, and that limit stays as it is. Immutable and thread-safe.
 *
 * @param downloadBps the rate limit over all downloads in bytes per second: at least 1, or 0 to
 *     lift it ({@code "downloadBps":null} in the message); null when not given
 * @param maxConnectionsPerHost the per-host connection cap, at least 1 (the server checks it
 *     against its configured cap); null when not given
 */
public record SetLimitsCommand(@Nullable Long downloadBps,
    @Nullable Integer maxConnectionsPerHost) {}
