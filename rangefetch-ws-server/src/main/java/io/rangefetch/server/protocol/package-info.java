/**
 * The JSON and console messages of the WebSocket protocol (docs/protocol.md). The protocol's
 * field names appear only in this package. Not API.
 */
@NullMarked
package io.rangefetch.server.protocol;

import org.jspecify.annotations.NullMarked;
