package io.rangefetch.server.download;

import io.rangefetch.server.protocol.StatusJson;
import io.rangefetch.server.protocol.StoredDownload;
import io.rangefetch.server.protocol.UpdateCommand;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Where the list and the queue live when several servers share them (cluster mode), instead of
 * the local state file and journal of {@link DownloadStore}. Each server, a node, runs the
 * downloads it has claimed; the store tells the others what they do, and carries commands for a
 * download to the node that runs it. Implementations are thread-safe.
 *
 * <p>The service calls the store; the store calls back the service through {@link Node}.
 */
public interface SharedStore extends AutoCloseable {

  /** The commands that act on one download. */
  enum Op {
    /** {@code pause}. */
    PAUSE,
    /** {@code resume}. */
    RESUME,
    /** {@code cancel}. */
    CANCEL,
    /** {@code remove}. */
    REMOVE,
    /** {@code update}, which carries its fields: {@link SharedStore#update}. */
    UPDATE
  }

  /**
   * What an {@code add} did.
   *
   * @param status the new download, or the live one with the same URL
   * @param created whether the download is new
   */
  record Added(StatusJson status, boolean created) {}

  /**
   * Connects, brings the schema up to date, loads the list and starts claiming work.
   *
   * @param node the service, called back for claimed work, commands and others' changes
   * @throws IOException if the database cannot be reached or its schema not migrated
   */
  void start(Node node) throws IOException;

  /**
   * Returns this node's name, the status's {@code node} field.
   *
   * @return the node id
   */
  String nodeId();

  /**
   * Returns this node's base URL, under which {@code files/{id}} serves its completed files.
   *
   * @return for example {@code http://10.0.0.5:8765/}
   */
  String nodeUrl();

  /**
   * Queues a new download for whichever node claims it first, or returns the live one of the
   * same URL (not failed, not cancelled) of any node.
   *
   * @param url the URL as parsed, credentials included
   * @param newRecord builds the record of the new download from its id
   * @param maxDownloads the most downloads the cluster keeps
   * @return the download
   * @throws io.rangefetch.server.protocol.CommandException {@code limit} when the list is full,
   *     {@code internal} when the database cannot be reached
   */
  Added add(String url, Function<String, StoredDownload> newRecord, int maxDownloads);

  /**
   * Returns every download of the cluster, newest first.
   *
   * @return the statuses
   */
  List<StatusJson> list();

  /**
   * Returns one download of the cluster.
   *
   * @param id its id
   * @return its status, empty if no node knows it
   */
  Optional<StatusJson> get(String id);

  /**
   * Tells whether this node holds the download: it claimed it and its lease has not been lost.
   *
   * @param id the download's id
   * @return whether commands for it are carried out here
   */
  boolean runsHere(String id);

  /**
   * Carries out a command for a download this node does not hold: on the node that holds it, or
   * in the database when no live node does.
   *
   * @param op the command, not {@link Op#UPDATE}
   * @param id the download's id
   * @return its status afterwards
   * @throws io.rangefetch.server.protocol.CommandException {@code not_found}, {@code conflict},
   *     or {@code internal} when the node or the database does not answer
   */
  StatusJson command(Op op, String id);

  /**
   * Carries out an {@code update} of a download this node does not hold: on the node that holds
   * it, or on its record in the database when no live node does ({@link Node#updateRecord}).
   *
   * @param id the download's id
   * @param update the fields of the {@code update}, their URLs checked by this node
   * @return its status afterwards
   * @throws io.rangefetch.server.protocol.CommandException as the update would locally, or
   *     {@code internal} when the node or the database does not answer
   */
  StatusJson update(String id, UpdateCommand update);

  /**
   * Records the state of a download this node runs.
   *
   * @param id its id
   * @param current gives the record as it is at the moment it is written, so that the last write
   *     is always the latest state
   * @param now whether to write before returning (commands, endings), or within a moment,
   *     together with other changes (the core's own steps)
   */
  void record(String id, Supplier<StoredDownload> current, boolean now);

  /**
   * Shows a status of a download of this node to the other nodes. Called in the order of the
   * changes, under the service's notification lock.
   *
   * @param status the status as this node's clients see it
   */
  void changedHere(StatusJson status);

  /**
   * Takes a download removed here off the shared list.
   *
   * @param id its id
   */
  void removedHere(String id);

  /**
   * Tells whether the database answers, for {@code /healthz}.
   *
   * @return false once the lease could not be renewed, until it can again
   */
  boolean healthy();

  /**
   * Hands this node's unfinished downloads back to the queue, for other nodes to take over, and
   * disconnects. Called after the downloader has stopped.
   */
  @Override
  void close();

  /** The service, as the store sees it. Implementations are thread-safe. */
  interface Node {

    /**
     * Runs a download claimed by this node, continuing from its part file if there is one.
     *
     * @param stored its record, as the node that ran it last left it
     */
    void runClaimed(StoredDownload stored);

    /**
     * Counts the downloads this node runs or has queued in its downloader.
     *
     * @return the number of downloads not paused and not ended
     */
    int activeHere();

    /**
     * Carries out a command sent by another node for a download of this node.
     *
     * @param op the command
     * @param id the download's id
     * @return its status afterwards
     * @throws io.rangefetch.server.protocol.CommandException as the command would locally
     */
    StatusJson commandHere(Op op, String id);

    /**
     * Carries out an {@code update} sent by another node for a download of this node.
     *
     * @param id the download's id
     * @param update the fields of the {@code update}
     * @return its status afterwards
     * @throws io.rangefetch.server.protocol.CommandException as the update would locally
     */
    StatusJson updateHere(String id, UpdateCommand update);

    /**
     * Applies an {@code update} to the record of a download no live node holds, with the checks
     * of a local update: its URL (the one before kept as {@code formerUrl}), mirrors and rate
     * limit; a failed download is queued again.
     *
     * @param stored the download's record
     * @param update the fields of the {@code update}
     * @return the record afterwards, the same if the update changes nothing
     * @throws io.rangefetch.server.protocol.CommandException as the update would locally
     */
    StoredDownload updateRecord(StoredDownload stored, UpdateCommand update);

    /**
     * Tells whether this node has the download in its list, with a run of the core or its file.
     *
     * @param id the download's id
     * @return whether {@link #commandHere} can act on it
     */
    boolean hasHere(String id);

    /**
     * Pauses every download running here, because the lease may lapse: another node may take
     * them over. The part files stay.
     */
    void park();

    /**
     * Resumes the downloads {@link #park()} paused that this node still holds; the others ran on
     * elsewhere.
     *
     * @param stillHeld the ids this node still holds
     */
    void unpark(Set<String> stillHeld);

    /**
     * Shows another node's change to this node's clients.
     *
     * @param status the download's status
     * @param stateChanged whether its state changed
     * @param apply updates the shared list; run under the same lock as the clients' list
     */
    void changedElsewhere(StatusJson status, boolean stateChanged, Runnable apply);

    /**
     * Shows another node's removal to this node's clients.
     *
     * @param id the download's id
     * @param apply updates the shared list; run under the same lock as the clients' list
     */
    void removedElsewhere(String id, Runnable apply);
  }
}
