/**
 * The downloads the server owns: commands over one shared {@link io.rangefetch.RangeDownloader},
 * the list of downloads, their statuses and the state file that keeps them across restarts.
 * Not API.
 */
@NullMarked
package io.rangefetch.server.download;

import org.jspecify.annotations.NullMarked;
