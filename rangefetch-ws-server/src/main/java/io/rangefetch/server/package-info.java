/**
 * The rangefetch server: a WebSocket front of {@link io.rangefetch.RangeDownloader}. Embed it
 * with {@link io.rangefetch.server.RangefetchServer} and {@link io.rangefetch.server.ServerConfig},
 * or run {@link io.rangefetch.server.Main} ({@code java -jar rangefetch-server.jar}). The
 * sub-packages are the server's implementation, not API.
 */
@NullMarked
package io.rangefetch.server;

import org.jspecify.annotations.NullMarked;
