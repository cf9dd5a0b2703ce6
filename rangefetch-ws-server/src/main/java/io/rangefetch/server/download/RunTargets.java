package io.rangefetch.server.download;

import io.rangefetch.IfExists;
import io.rangefetch.RangeDownloader;
import io.rangefetch.server.protocol.CommandException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a run of a download writes: its directory (the download directory, or the one inside it
 * the client asked for, see {@link DirectoryPolicy}), the file the core is asked for, and the
 * part files that a cancel of a download without a run must delete. Thread-safe.
 */
final class RunTargets {
  private static final Logger LOG = LoggerFactory.getLogger(RunTargets.class);

  private final RangeDownloader downloader;
  private final Path downloadDir;
  private final DirectoryPolicy directories;
  private final DownloadRegistry registry;

  /** Where a run writes, and what the core does if the file is there. */
  record Target(Path path, IfExists ifExists) {}

  RunTargets(RangeDownloader downloader, Path downloadDir, DownloadRegistry registry) {
    this.downloader = downloader;
    this.downloadDir = downloadDir;
    this.directories = new DirectoryPolicy(downloadDir);
    this.registry = registry;
  }

  /**
   * The target of a new run: the file asked for, or the directory for the core to name it.
   *
   * @throws IllegalArgumentException if the download's directory now leads out of the download
   *     directory
   * @throws IOException if its directory cannot be created
   */
  Target first(ServerDownload download) throws IOException {
    return new Target(FileNames.target(dirOf(download), download.options().fileName()),
        IfExists.RENAME);
  }

  /**
   * The target of a download that ran before a restart. Once the core had chosen a file, the same
   * file is asked for again, not the directory: a directory target would let the core choose
   * anew, and a name it now finds free (a file deleted meanwhile) would leave the part file
   * behind. If the final file is not there but its part file is, that part file is this
   * download's own (the state file says so; no other download of this server has the name): the
   * core may take it over ({@link IfExists#OVERWRITE}), and continues it if its control file
   * matches, or starts over in it if not (a control file missing, garbled, of a changed remote
   * file). Under {@link IfExists#RENAME} the core would count such a part file as taken and write
   * a numbered file beside it, leaving the part file there.
   *
   * @throws IllegalArgumentException if the download's directory now leads out of the download
   *     directory
   * @throws IOException if its directory cannot be created
   */
  Target again(ServerDownload download) throws IOException {
    Path dir = dirOf(download);
    String name = download.knownFileName();
    if (name == null) {
      return new Target(dir, IfExists.RENAME);
    }
    Path file;
    try {
      file = FileNames.target(dir, name);
    } catch (CommandException e) {
      LOG.warn("download {}: the state file names the file \"{}\", which is not a plain name;"
          + " letting the downloader choose one", download.id(), name);
      return new Target(dir, IfExists.RENAME);
    }
    boolean ownPart = !Files.exists(file, LinkOption.NOFOLLOW_LINKS)
        && RangeDownloader.hasPartial(file)
        && registry.oldestFirst().stream().noneMatch(other -> other != download
            && !other.state().isTerminal() && name.equals(other.knownFileName()));
    return new Target(file, ownPart ? IfExists.OVERWRITE : IfExists.RENAME);
  }

  /**
   * Deletes the part file of a download that no run holds (paused before a restart), as the
   * core does on a cancel.
   */
  void deletePartFiles(ServerDownload download) {
    String name = download.knownFileName();
    if (name == null) {
      return;
    }
    Path file;
    try {
      file = FileNames.target(dirOf(download), name);
    } catch (CommandException | IllegalArgumentException | IOException e) {
      return;
    }
    try {
      downloader.discardPartial(file);
    } catch (IOException | IllegalStateException e) {
      LOG.warn("download {}: cannot delete the partial download of {}: {}", download.id(), file,
          e.getMessage());
    }
  }

  /** The download's directory, created if missing and checked again: it may have changed. */
  private Path dirOf(ServerDownload download) throws IOException {
    String dir = download.options().dir();
    return dir == null || dir.isEmpty() ? downloadDir : directories.create(dir);
  }
}
