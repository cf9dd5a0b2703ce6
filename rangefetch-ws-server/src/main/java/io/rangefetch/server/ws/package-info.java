/**
 * The WebSocket side of the server: the endpoints on {@code /ws} and {@code /}, the checks on
 * upgrade, and the bounded, coalescing delivery of frames to each session. Not API.
 */
@NullMarked
package io.rangefetch.server.ws;

import org.jspecify.annotations.NullMarked;
