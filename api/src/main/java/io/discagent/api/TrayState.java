package io.discagent.api;

/** The drive's tray (or slot), as the drive reports it. */
public enum TrayState {
    /** Open: no medium can be read or written. */
    OPEN,
    /** Closed, with or without a medium. */
    CLOSED,
    /** The drive did not say. */
    UNKNOWN
}
