package io.rangefetch.examples.cli;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Keeps the JVM's optimising compiler (C2) off everything but SHA-256 for this process, as the
 * launcher's {@code -XX:TieredStopAtLevel=1} does, so that {@code java -jar rangefetch-cli.jar}
 * under the JVM's default settings runs as cheaply as the launcher.
 *
 * <p>Why: a download is one short run whose time goes to the kernel's copies. The methods that
 * grow hot in its first second (HttpClient's reads and header parsing, the JDK's socket and file
 * paths, the JDK's class spinning at start-up) reach C2's thresholds, and C2 compiling them cost
 * 0.25-0.35 s of CPU in a 1 GiB run on 2 cores, more than its code saved (docs/benchmarks.md).
 * SHA-256 keeps C2: its intrinsics need it (a 1 GiB digest takes seconds without them).
 *
 * <p>How: a compiler directive, added by the VM's diagnostic command
 * {@code Compiler.directives_add} (what {@code jcmd PID Compiler.directives_add FILE} does). The
 * public road to that command, the platform MBean server, costs 0.2 s to start; this calls the
 * command's native entry directly, which the jar's manifest allows with
 * {@code Add-Opens: jdk.management/com.sun.management.internal}. JVM flags themselves (collector,
 * heap, class-data archive, {@code TieredStopAtLevel}) cannot be set from inside a jar at all.
 * Anything that fails (another JVM, a missing module, no manifest) leaves the JVM as it was.
 */
final class QuickCompilerOnly {
  /** First match wins: SHA-256's classes keep C2, every other method is excluded from it. */
  static final String DIRECTIVES = "[{match: \"sun/security/provider/*.*\", c2: {Exclude: false}},"
      + " {match: \"*.*\", c2: {Exclude: true}}]";
  /** Set to {@code false} to leave the JVM's compilers as they are (the launcher does). */
  static final String PROPERTY = "rangefetch.quickCompilerOnly";

  private QuickCompilerOnly() {}

  /**
   * Adds the directives to this JVM, unless {@link #PROPERTY} is {@code false}.
   *
   * @return whether the JVM took them
   */
  static boolean install() {
    if ("false".equals(System.getProperty(PROPERTY))) {
      return false;
    }
    Path file = Path.of(System.getProperty("java.io.tmpdir"),
        "rangefetch-jit-" + ProcessHandle.current().pid() + ".json");
    try {
      // The command reads the directives from a file; CREATE_NEW never follows a planted link.
      Files.writeString(file, DIRECTIVES, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
          LinkOption.NOFOLLOW_LINKS);
      try {
        return addDirectivesFrom(file);
      } finally {
        Files.deleteIfExists(file);
      }
    } catch (IOException | ReflectiveOperationException | RuntimeException | LinkageError e) {
      return false;
    }
  }

  private static boolean addDirectivesFrom(Path file) throws ReflectiveOperationException {
    // Its static initialiser loads the library that holds the command's native half.
    Class.forName("com.sun.management.internal.PlatformMBeanProviderImpl");
    Class<?> commands = Class.forName("com.sun.management.internal.DiagnosticCommandImpl");
    Method instance = commands.getDeclaredMethod("getDiagnosticCommandMBean");
    instance.setAccessible(true);
    Method execute = commands.getDeclaredMethod("executeDiagnosticCommand", String.class);
    execute.setAccessible(true);
    Object answer = execute.invoke(instance.invoke(null),
        "Compiler.directives_add \"" + file + "\"");
    // "2 compiler directives added"; a refused file answers with the parser's complaint.
    return answer instanceof String text && text.contains("added");
  }
}
