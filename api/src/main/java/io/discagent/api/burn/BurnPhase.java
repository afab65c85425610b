package io.discagent.api.burn;

/** Where a burn is. A burn goes through them in this order, skipping the ones it does not need. */
public enum BurnPhase {
    /** Checking the medium and the image, starting the writer. */
    PREPARING,
    /** Formatting or blanking the medium first (a new DVD+RW or BD-RE, for instance). */
    FORMATTING,
    /** Writing the image: {@link BurnProgress#bytesDone()} counts the bytes written. */
    WRITING,
    /** Closing the track, the session or the disc. */
    CLOSING,
    /** Reading the disc back and comparing its checksum: {@link BurnProgress#bytesDone()} counts the bytes read. */
    VERIFYING,
    /** Done: the last progress of a successful burn, carrying its {@link BurnResult}. */
    COMPLETED
}
