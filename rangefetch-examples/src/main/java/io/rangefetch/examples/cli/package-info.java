/**
 * The command-line downloader, {@code java -jar rangefetch-cli.jar [options] URL}:
 * {@link io.rangefetch.examples.cli.Main} starts {@link io.rangefetch.examples.cli.FetchCommand},
 * which reads the caps with {@link io.rangefetch.examples.cli.CliConfig}, shows progress with
 * {@link io.rangefetch.examples.cli.ProgressPrinter} and pauses on Ctrl+C with
 * {@link io.rangefetch.examples.cli.ExitGuard}. {@code docs/cli.md} is the user's guide.
 *
 * <p>Every type here is non-null by default.
 */
@NullMarked
package io.rangefetch.examples.cli;

import org.jspecify.annotations.NullMarked;
