package io.rangefetch.server.protocol;

import org.jspecify.annotations.Nullable;

/**
 * One source of a download in the status's {@code mirrors}: the URL as added first, then its
 * mirrors. Immutable and thread-safe.
 *
 * @param url the URL, without credentials
 * @param state {@code active} (fetched from), {@code unused} (not checked yet, or not needed)
 *     or {@code dropped} (failed or served another file)
 * @param bytes bytes it delivered
 * @param speedBps its recent bytes per second
 * @param note why it is in its state, for a person; null when there is nothing to say
 */
public record MirrorJson(String url, String state, long bytes, long speedBps,
    @Nullable String note) {}
