/**
 * aria2's JSON-RPC 2.0 on {@code /jsonrpc} (WebSocket and HTTP POST), over the server's one list
 * of downloads, so that the web UIs, desktop apps and browser extensions written for aria2 can
 * drive rangefetch. Method names, parameters and result shapes follow aria2's manual; what
 * differs is written down in {@code docs/aria2-rpc.md}.
 */
@NullMarked
package io.rangefetch.server.jsonrpc;

import org.jspecify.annotations.NullMarked;
