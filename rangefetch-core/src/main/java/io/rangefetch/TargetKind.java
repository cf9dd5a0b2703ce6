package io.rangefetch;

/**
 * What a {@link DownloadRequest}'s target is: a file, or a directory to pick the file's name in.
 * The caller says so ({@link DownloadRequest#toFile}, {@link DownloadRequest#intoDirectory}),
 * rather than the download guessing from what happens to exist.
 */
public enum TargetKind {
  /** The target is the file to write; an existing directory of that name is an error. */
  FILE,
  /**
   * The target is a directory, created when missing; the file's name comes from the server's
   * {@code Content-Disposition} or the URL, reduced to a safe plain name.
   */
  DIRECTORY,
  /**
   * {@link DownloadRequest#newBuilder(java.net.URI, java.nio.file.Path)}: a directory if one
   * exists there when the download starts, else the file. Kept for callers that rely on it;
   * {@link #FILE} and {@link #DIRECTORY} say what the caller means.
   */
  AS_FOUND
}
