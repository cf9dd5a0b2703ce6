/** The server's Micrometer meters, exposed on {@code /metrics}. Not API. */
@NullMarked
package io.rangefetch.server.metrics;

import org.jspecify.annotations.NullMarked;
