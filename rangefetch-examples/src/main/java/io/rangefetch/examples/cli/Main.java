package io.rangefetch.examples.cli;

import java.nio.file.Path;

/**
 * Entry point of {@code java -jar rangefetch-cli.jar}: runs {@link FetchCommand} on the real
 * streams, environment and working directory, and exits with its code.
 */
public final class Main {
  private Main() {}

  /**
   * Runs the command.
   *
   * @param args the command-line arguments; {@code --help} lists them
   */
  public static void main(String[] args) {
    // First: C2 starts compiling within the first 0.1 s.
    QuickCompilerOnly.install();
    int exitCode = new FetchCommand(System.out, System.err, System.getenv(),
        Path.of("").toAbsolutePath(), System.console() != null).execute(args);
    System.exit(exitCode);
  }
}
