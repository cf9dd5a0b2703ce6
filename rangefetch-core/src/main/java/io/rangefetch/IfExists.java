package io.rangefetch;

/** What to do when the target file already exists. */
public enum IfExists {
  /** Fail with {@link DownloadException.Reason#FILE_EXISTS} before anything is fetched. */
  FAIL,
  /** Keep the existing file and pick a free name beside it: {@code a (1).iso}, {@code a (2).iso}. */
  RENAME,
  /** Replace the existing file, atomically, once the new one is complete. */
  OVERWRITE
}
