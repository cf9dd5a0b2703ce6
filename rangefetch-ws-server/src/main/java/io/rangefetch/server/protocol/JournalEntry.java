package io.rangefetch.server.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import org.jspecify.annotations.Nullable;

/**
 * One line of the server's state journal: a download as it is now, or the removal of one.
 * Exactly one of {@code put} and {@code remove} is set. Immutable and thread-safe.
 *
 * @param seq increases by one per entry, across compactions
 * @param nextId the id the next download gets, when the entry was written
 * @param put the download's latest record, replacing any earlier one with its id
 * @param remove the id of a download taken off the list
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JournalEntry(long seq, long nextId, @Nullable StoredDownload put,
    @Nullable String remove) {}
