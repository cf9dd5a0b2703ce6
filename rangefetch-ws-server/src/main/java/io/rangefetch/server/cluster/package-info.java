/**
 * Cluster mode: several servers share one list and one queue of downloads in PostgreSQL. Each
 * node claims queued downloads under a lease it renews, tells the others its changes with
 * {@code NOTIFY}, and carries out the commands they send for its downloads. docs/cluster.md
 * describes the design and its limits. Not API.
 */
@NullMarked
package io.rangefetch.server.cluster;

import org.jspecify.annotations.NullMarked;
