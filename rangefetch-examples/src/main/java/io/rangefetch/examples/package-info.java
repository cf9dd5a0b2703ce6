/**
 * Small programs that embed rangefetch, each with a {@code main} taking {@code URL [DIRECTORY]}:
 * {@link io.rangefetch.examples.DownloadWithProgress} (the smallest embedding),
 * {@link io.rangefetch.examples.ProbeFirst}, {@link io.rangefetch.examples.TunedLimits},
 * {@link io.rangefetch.examples.PauseResumeCancel} and {@link io.rangefetch.examples.PrintEvents}.
 * A test runs each against a local server.
 *
 * <p>Every type here is non-null by default.
 */
@NullMarked
package io.rangefetch.examples;

import org.jspecify.annotations.NullMarked;
