package io.rangefetch.internal;

import io.rangefetch.DownloadException.Reason;
import io.rangefetch.IfExists;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The final file names that running downloads of one engine will write, so that two downloads
 * never write one file and an existing file is replaced only when asked. Thread-safe.
 */
final class TargetReservations {
  private static final int MAX_NUMBERED = 10_000;

  // Guarded by this.
  private final Set<Path> reserved = new HashSet<>();

  /**
   * Reserves {@code wanted}, or under {@link IfExists#RENAME} the first free numbered name
   * beside it; a name whose part file {@code resumable} accepts counts as free.
   *
   * @return the absolute path the download will write
   * @throws FetchFailure if the directory is missing or the name is taken
   */
  synchronized Path reserve(Path wanted, IfExists policy, Predicate<Path> resumable)
      throws FetchFailure {
    Path target = wanted.toAbsolutePath().normalize();
    Path dir = target.getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      throw FetchFailure.fatal(Reason.DISK, "the directory " + dir
          + " does not exist; create it or choose another target");
    }
    switch (policy) {
      case FAIL:
        if (taken(target)) {
          throw FetchFailure.fatal(Reason.FILE_EXISTS, target + " already exists"
              + (reserved.contains(target) ? " as the target of another download" : "")
              + "; delete it, choose another name, or allow overwriting (IfExists.OVERWRITE)");
        }
        break;
      case OVERWRITE:
        if (reserved.contains(target)) {
          throw FetchFailure.fatal(Reason.FILE_EXISTS, "another download is writing " + target
              + "; wait for it, or choose another name");
        }
        break;
      case RENAME:
        target = firstFree(dir, target, resumable);
        break;
      default:
        throw new IllegalStateException("unknown policy " + policy);
    }
    reserved.add(target);
    return target;
  }

  private Path firstFree(Path dir, Path target, Predicate<Path> resumable) throws FetchFailure {
    if (free(target, resumable)) {
      return target;
    }
    String name = target.getFileName().toString();
    for (int n = 1; n <= MAX_NUMBERED; n++) {
      Path candidate = dir.resolve(FileNames.numbered(name, n));
      if (free(candidate, resumable)) {
        return candidate;
      }
    }
    throw FetchFailure.fatal(Reason.FILE_EXISTS, "no free name for " + name + " in " + dir
        + " after " + MAX_NUMBERED + " tries; clean up the directory");
  }

  private boolean taken(Path path) {
    return reserved.contains(path) || Files.exists(path, LinkOption.NOFOLLOW_LINKS);
  }

  /**
   * Whether a new download may use {@code path}: nobody has it, and a part file beside it, if
   * any, is one this download can continue (another process may be writing any other).
   */
  private boolean free(Path path, Predicate<Path> resumable) {
    return !taken(path) && (!Files.exists(PartFileNames.part(path), LinkOption.NOFOLLOW_LINKS)
        || resumable.test(path));
  }

  /**
   * Deletes the part file, control file and live record of {@code target}, unless a download
   * holds it: under this lock, so no download can take the name meanwhile.
   *
   * @return whether anything was deleted
   * @throws IllegalStateException if a download of this downloader holds {@code target}
   */
  synchronized boolean discardPartial(Path target) throws IOException {
    Path normalized = target.toAbsolutePath().normalize();
    if (reserved.contains(normalized)) {
      throw new IllegalStateException("a download of this downloader is writing " + normalized
          + "; cancel it instead");
    }
    return PartFileNames.delete(normalized);
  }

  synchronized void release(Path path) {
    reserved.remove(path);
  }
}
