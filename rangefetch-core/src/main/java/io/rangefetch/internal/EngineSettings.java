package io.rangefetch.internal;

import io.rangefetch.DownloadListener;
import io.rangefetch.Limits;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.Predicate;
import javax.net.ssl.SSLContext;
import org.jspecify.annotations.Nullable;

/**
 * The settings of one {@link io.rangefetch.RangeDownloader}, checked by its builder.
 *
 * @param callbackExecutor where listener calls run, or {@code null} for the internal pool
 * @param checkpointInterval the least time between two checkpoints of one download; zero for
 *     one as soon as a chunk finishes
 * @param proxy the proxy URL of every download that names none, or {@code null} for direct
 *     connections; checked by {@link ProxyAddress#parse}
 * @param sslContext the TLS context of https connections, or {@code null} for the JVM's default
 */
public record EngineSettings(Limits limits, Duration connectTimeout, Duration readTimeout,
    int maxAttemptsPerChunk, Duration retryBackoff, Duration maxRetryBackoff, int maxRedirects,
    String userAgent, List<DownloadListener> listeners, @Nullable Executor callbackExecutor,
    Duration progressInterval, Predicate<InetAddress> addressFilter,
    Duration checkpointInterval, @Nullable URI proxy, @Nullable SSLContext sslContext) {}
