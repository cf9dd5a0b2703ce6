/**
 * The plain HTTP side of the server: the dashboard's files, {@code /healthz}, {@code /metrics},
 * {@code /files/{id}}, and the checks every request passes. Not API.
 */
@NullMarked
package io.rangefetch.server.http;

import org.jspecify.annotations.NullMarked;
