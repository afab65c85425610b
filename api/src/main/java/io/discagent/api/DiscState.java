package io.discagent.api;

/**
 * What has been written on the medium in a drive, as far as burning an image is concerned (MMC's disc status of READ
 * DISC INFORMATION; IMAPI2's {@code IMAPI_FORMAT2_DATA_MEDIA_STATE}).
 */
public enum DiscState {
    /** No medium (or the tray is open). */
    NO_DISC,
    /** Nothing written yet: an image can be burned from its start. */
    BLANK,
    /** Written in sessions, and a further session can be added (a write-once disc left open). */
    APPENDABLE,
    /** Written and closed (finalized): nothing more can be written. */
    CLOSED,
    /**
     * A rewritable medium written in place (DVD+RW, DVD-RAM, BD-RE, formatted DVD-RW): an image is written over
     * whatever it held.
     */
    OVERWRITABLE,
    /** The drive did not say. */
    UNKNOWN
}
