package io.rangefetch.examples.cli;

import io.rangefetch.ByteSize;
import io.rangefetch.DownloadException;
import io.rangefetch.DownloadHandle;
import io.rangefetch.DownloadRequest;
import io.rangefetch.DownloadUrls;
import io.rangefetch.DownloadResult;
import io.rangefetch.IfExists;
import io.rangefetch.Limits;
import io.rangefetch.Probe;
import io.rangefetch.RangeDownloader;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.TypeConversionException;

/**
 * The {@code rangefetch} command: downloads one URL, or probes it, and returns an exit code.
 * Not thread-safe: one instance serves one run.
 *
 * <p>Everything the command touches outside the JVM comes in through the constructor, so a test
 * runs it in-process with its own streams, environment and working directory:
 * <pre>{@code
 * int exitCode = new FetchCommand(System.out, System.err, System.getenv(), Path.of("").toAbsolutePath(),
 *     System.console() != null).execute("-t", "4", "https://example.org/a.iso");
 * }</pre>
 */
@Command(
    name = "rangefetch",
    mixinStandardHelpOptions = true,
    versionProvider = FetchCommand.Version.class,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
        "Downloads URL with parallel HTTP range requests into one file.",
        "On success the last line on stdout is the file's file:/// URI."},
    footerHeading = "%nExit codes:%n",
    footer = {
        "  0  the file is complete (or --probe answered)",
        "  1  the download failed; the message says why and what to do",
        "  2  bad usage: an unknown option, a bad size or URL, a bad config value",
        "",
        "Ctrl+C pauses: run the same command again to continue.",
        "",
        "Caps (limits.max-threads, limits.max-bytes-per-thread, ...), first match wins:",
        "  1. environment: RANGEFETCH_LIMITS_MAX_THREADS, ...",
        "  2. --config FILE, or else ./rangefetch.properties",
        "  3. the defaults: 8 threads, 4M per request"})
public final class FetchCommand implements Callable<Integer> {
  /** Exit code of a complete download or probe. */
  public static final int OK = 0;
  /** Exit code of a failed or cancelled download or probe. */
  public static final int FAILED = 1;
  /** Exit code of bad usage: options, URL, config. */
  public static final int USAGE = 2;

  // The options are set by picocli while parsing, on the thread that calls execute(), before
  // call() runs on that same thread.
  @Option(names = {"-t", "--threads"}, paramLabel = "N",
      description = "Parallel range requests; above limits.max-threads the cap is used."
          + " Default: the cap.")
  private Optional<Integer> threads = Optional.empty();

  @Option(names = {"-c", "--chunk-bytes"}, paramLabel = "SIZE", converter = SizeConverter.class,
      description = "Largest single range request, e.g. 512K, 4M, 1G or bytes; above"
          + " limits.max-bytes-per-thread the cap is used. Default: the cap.")
  private Optional<Long> chunkBytes = Optional.empty();

  @Option(names = "--limit-rate", paramLabel = "RATE", converter = SizeConverter.class,
      description = "Bytes per second at most, like curl: 500K, 2M (1024-based); 0 for no"
          + " limit. limits.max-bytes-per-second applies as well; the lower wins."
          + " Default: no limit.")
  private Optional<Long> limitRate = Optional.empty();

  @Option(names = "--max-connections-per-host", paramLabel = "N",
      description = "Connections to the server's host at once; after a 429 or 503 it gets"
          + " fewer for a while. Overrides limits.max-connections-per-host. Default: 16.")
  private Optional<Integer> maxConnectionsPerHost = Optional.empty();

  @Option(names = {"-o", "--output"}, paramLabel = "PATH",
      description = "File to write, or an existing directory to pick the name in (from"
          + " Content-Disposition or the URL). Default: the current directory.")
  private Optional<Path> output = Optional.empty();

  @Option(names = "--overwrite",
      description = "Replace an existing file once the new one is complete. Default: fail.")
  private boolean overwrite;

  @Option(names = "--sha256", paramLabel = "HEX",
      description = "Expected SHA-256 of the file; on a mismatch the file is removed, exit 1.")
  private Optional<String> sha256 = Optional.empty();

  @Option(names = {"-H", "--header"}, paramLabel = "'NAME: VALUE'",
      description = "Extra request header, like curl's -H; repeat it for more, e.g."
          + " -H 'Cookie: a=1' -H 'Referer: https://example.org/'. Authorization and Cookie"
          + " are not sent to another host after a redirect. Host, Range, If-Range,"
          + " Content-Length, Transfer-Encoding, Connection are refused.")
  private List<String> headers = new ArrayList<>();

  @Option(names = {"-x", "--proxy"}, paramLabel = "URL",
      description = "Proxy, like curl's -x: http://host:port (https through CONNECT),"
          + " socks5://host:port (names resolved here) or socks5h://host:port (resolved by the"
          + " proxy), with optional user:password@; port 1080 if none. \"\" for none. Default:"
          + " from http_proxy (http URLs), https_proxy/HTTPS_PROXY (https URLs), else"
          + " all_proxy/ALL_PROXY, unless no_proxy/NO_PROXY lists the host.")
  private Optional<String> proxy = Optional.empty();

  @Option(names = "--probe",
      description = "Only ask the server: final URL, status, ranges, size, ETag,"
          + " Last-Modified, file name. Writes nothing.")
  private boolean probe;

  @Option(names = "--checkpoint-interval", paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "Least time between two durable records of progress (each forces the part"
          + " file to disk), e.g. 0, 500ms, 2s, 1m; a power loss refetches at most about that"
          + " much. A killed process loses only the chunks in flight, whatever this is. 0"
          + " records each chunk as it finishes. Ctrl+C records at once anyway. Default: 30s.")
  private Optional<Duration> checkpointInterval = Optional.empty();

  @Option(names = "--config", paramLabel = "FILE",
      description = "Properties file with the caps. Default: ./rangefetch.properties if present.")
  private Optional<Path> config = Optional.empty();

  @Option(names = {"-q", "--quiet"}, description = "No progress output; errors still show.")
  private boolean quiet;

  @Parameters(paramLabel = "URL", arity = "1..*", description = {
      "The http or https URL to download. More than one URL are mirrors of one file, as with"
          + " aria2c: each is checked to serve the same file (same length, same ETag and"
          + " Last-Modified where both give them) before its bytes are used, the connections"
          + " are spread over them, and one that fails or lies is dropped."})
  private List<String> urls = new ArrayList<>();

  private final PrintStream out;
  private final PrintStream err;
  private final Map<String, String> environment;
  private final Path workingDir;
  private final boolean terminal;

  /**
   * Creates the command.
   *
   * @param out where the result goes: the file URI, or the probe's facts
   * @param err where progress, notices and errors go
   * @param environment the environment variables, usually {@link System#getenv()}
   * @param workingDir an absolute directory: relative paths resolve against it, and the
   *     default output and {@code rangefetch.properties} are looked for in it
   * @param terminal whether {@code err} is a terminal, so progress can be a live bar
   */
  public FetchCommand(PrintStream out, PrintStream err, Map<String, String> environment,
      Path workingDir, boolean terminal) {
    this.out = Objects.requireNonNull(out, "out");
    this.err = Objects.requireNonNull(err, "err");
    this.environment = Map.copyOf(environment);
    this.workingDir = Objects.requireNonNull(workingDir, "workingDir");
    this.terminal = terminal;
  }

  /**
   * Parses the arguments and runs the command.
   *
   * @param args the command-line arguments
   * @return {@link #OK}, {@link #FAILED} or {@link #USAGE}
   */
  public int execute(String... args) {
    CommandLine commandLine = new CommandLine(this)
        .setOut(new PrintWriter(out, true))
        .setErr(new PrintWriter(err, true))
        .setParameterExceptionHandler(this::usageError)
        .setExecutionExceptionHandler((e, cmd, parsed) -> {
          err.println("rangefetch: unexpected failure, please report it: " + e);
          e.printStackTrace(err);
          return FAILED;
        });
    return commandLine.execute(args);
  }

  private int usageError(CommandLine.ParameterException e, String[] args) {
    err.println("rangefetch: " + e.getMessage());
    CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
    err.println("Run with --help for the options.");
    return USAGE;
  }

  /**
   * Runs the parsed command; called by picocli.
   *
   * @return the exit code
   */
  @Override
  public Integer call() {
    try {
      URI uri = DownloadUrls.parse(urls.get(0));
      List<URI> mirrors = new ArrayList<>();
      for (String mirror : urls.subList(1, urls.size())) {
        mirrors.add(DownloadUrls.parse(mirror));
      }
      CliConfig cliConfig = CliConfig.load(config, workingDir, environment);
      Limits limits = limits(cliConfig);
      Optional<URI> proxyUri = proxy(uri);
      if (probe) {
        return probe(uri, limits, proxyUri);
      }
      DownloadRequest request = request(uri, mirrors, cliConfig);
      reportCaps(cliConfig);
      return download(request, limits, proxyUri);
    } catch (IllegalArgumentException e) {
      err.println("rangefetch: " + e.getMessage());
      return USAGE;
    }
  }

  /** The proxy of {@code uri}: --proxy, else the environment's as curl reads it. */
  private Optional<URI> proxy(URI uri) {
    Optional<ProxyEnvironment.Choice> choice = new ProxyEnvironment(environment).choose(proxy, uri);
    choice.ifPresent(c -> {
      try {
        RangeDownloader.newBuilder().proxy(c.proxy());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(c.variable() + ": " + e.getMessage(), e);
      }
      if (!quiet) {
        err.println("proxy: " + c.describe() + " (from " + c.variable() + ")");
      }
    });
    return choice.map(ProxyEnvironment.Choice::proxy);
  }

  private Limits limits(CliConfig cliConfig) {
    if (maxConnectionsPerHost.isEmpty()) {
      return cliConfig.limits();
    }
    try {
      return cliConfig.limits().toBuilder().maxConnectionsPerHost(maxConnectionsPerHost.get())
          .build();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--max-connections-per-host: " + e.getMessage(), e);
    }
  }

  private DownloadRequest request(URI uri, List<URI> mirrors, CliConfig cliConfig) {
    DownloadRequest.Builder builder = DownloadRequest.newBuilder(uri, target())
        .ifExists(overwrite ? IfExists.OVERWRITE : IfExists.FAIL)
        .mirrors(mirrors);
    threads.ifPresent(builder::threads);
    chunkBytes.ifPresent(builder::chunkBytes);
    try {
      limitRate.ifPresent(builder::maxBytesPerSecond);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--limit-rate " + limitRate.orElseThrow() + ": "
          + e.getMessage(), e);
    }
    // The digest costs CPU; the CLI computes it only to check an expected one, as curl and
    // aria2c compute none by default.
    builder.computeSha256(sha256.isPresent());
    sha256.ifPresent(builder::sha256);
    for (String line : headers) {
      HeaderLine header = HeaderLine.parse(line);
      try {
        builder.header(header.name(), header.value());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("-H " + header.name() + ": " + e.getMessage(), e);
      }
    }
    if (!quiet) {
      builder.listener(new ProgressPrinter(err, terminal, System::nanoTime));
    }
    return builder.build();
  }

  private Path target() {
    if (output.isEmpty()) {
      return workingDir;
    }
    Path target = workingDir.resolve(output.get()).normalize();
    Path parent = target.getParent();
    if (!Files.isDirectory(target) && (parent == null || !Files.isDirectory(parent))) {
      throw new IllegalArgumentException("-o " + output.get() + ": the directory " + parent
          + " does not exist; create it first or name an existing directory");
    }
    return target;
  }

  private void reportCaps(CliConfig cliConfig) {
    Limits limits = cliConfig.limits();
    threads.filter(asked -> asked > limits.maxThreads()).ifPresent(asked -> err.println(
        "threads " + asked + " is above the cap " + cliConfig.describe(CliConfig.Key.MAX_THREADS)
            + "; using " + limits.maxThreads()));
    chunkBytes.filter(asked -> asked > limits.maxBytesPerThread()).ifPresent(asked -> err.println(
        "chunk-bytes " + asked + " is above the cap "
            + cliConfig.describe(CliConfig.Key.MAX_BYTES_PER_THREAD) + "; using "
            + limits.maxBytesPerThread()));
  }

  private int probe(URI uri, Limits limits, Optional<URI> proxyUri) {
    RangeDownloader.Builder builder = RangeDownloader.newBuilder().limits(limits);
    proxyUri.ifPresent(builder::proxy);
    try (RangeDownloader downloader = builder.build()) {
      Probe found = await(downloader.probe(uri));
      out.println("final URL:      " + found.finalUri());
      out.println("status:         " + found.statusCode());
      out.println("ranges:         " + (found.rangesSupported() ? "supported" : "not supported"));
      out.println("size:           " + (found.size() < 0 ? "unknown"
          : found.size() + " bytes (" + ByteSize.format(found.size()) + ")"));
      out.println("ETag:           " + orNone(found.etag()));
      out.println("Last-Modified:  " + orNone(found.lastModified()));
      out.println("file name:      " + found.fileName());
      return OK;
    } catch (DownloadException e) {
      err.println("rangefetch: " + e.getMessage());
      return FAILED;
    }
  }

  private int download(DownloadRequest request, Limits limits, Optional<URI> proxyUri) {
    ExitGuard exitGuard = new ExitGuard(err);
    RangeDownloader.Builder builder = RangeDownloader.newBuilder().limits(limits);
    proxyUri.ifPresent(builder::proxy);
    checkpointInterval.ifPresent(builder::checkpointInterval);
    RangeDownloader downloader = builder.build();
    exitGuard.arm();
    try {
      DownloadHandle download = downloader.start(request);
      exitGuard.watch(download);
      return awaitFile(request, download);
    } finally {
      // Not reached when the JVM exits early, as the paused download never ends: good, since
      // closing would cancel it and delete the part file the exit guard keeps for the next run.
      exitGuard.disarm();
      downloader.close();
    }
  }

  private int awaitFile(DownloadRequest request, DownloadHandle download) {
    try {
      DownloadResult result = await(download.result());
      finishProgress(request, download, result.elapsed());
      out.println(result.file().toUri());
      return OK;
    } catch (DownloadException e) {
      finishProgress(request, download, Duration.ZERO);
      err.println("rangefetch: " + e.getMessage());
      if (e.reason() == DownloadException.Reason.FILE_EXISTS) {
        err.println("rangefetch: add --overwrite to replace it, or choose another -o");
      } else if (e.partFileKept()) {
        err.println("rangefetch: the part file is kept; run the same command again to continue");
      }
      return FAILED;
    } catch (CancellationException cancelled) {
      err.println("rangefetch: the download was cancelled");
      return FAILED;
    }
  }

  private static void finishProgress(DownloadRequest request, DownloadHandle download,
      Duration elapsed) {
    if (request.listener() instanceof ProgressPrinter printer) {
      printer.finish(download.status(), elapsed);
    }
  }

  private static <T> T await(CompletableFuture<T> future) throws DownloadException {
    try {
      return future.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CancellationException("interrupted");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof DownloadException cause) {
        throw cause;
      }
      if (e.getCause() instanceof IllegalArgumentException cause) {
        throw cause;
      }
      throw new IllegalStateException("the download failed unexpectedly", e.getCause());
    }
  }

  private static String orNone(String value) {
    return value.isEmpty() ? "(none)" : value;
  }

  /** Reads sizes such as {@code 512K} for picocli. */
  static final class SizeConverter implements ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
      try {
        return ByteSize.parse(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }

  /** Reads durations such as {@code 500ms} for picocli. */
  static final class DurationConverter implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      try {
        return DurationText.parse(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }

  /** Reads the version Maven wrote into {@code version.properties}. */
  static final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() throws IOException {
      Properties properties = new Properties();
      try (InputStream in = FetchCommand.class.getResourceAsStream("version.properties")) {
        if (in != null) {
          properties.load(in);
        }
      }
      return new String[] {"rangefetch " + properties.getProperty("version", "(unknown version)"),
          "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"};
    }
  }
}
