package io.discagent.service.cli;

/** The exit codes of the {@code discagent} command. */
public final class ExitCodes {

    /** Success. */
    public static final int OK = 0;
    /** Any other failure. */
    public static final int FAILURE = 1;
    /** Bad usage: unknown command or option, missing parameter (picocli's own code). */
    public static final int USAGE = 2;
    /** The agent could not be reached (not running, wrong --url). */
    public static final int UNREACHABLE = 3;
    /** Unknown recorder, session or resource (404). */
    public static final int NOT_FOUND = 4;
    /** The recorder is busy: locked (423), the wait timed out (504), too many requests (429). */
    public static final int BUSY = 5;
    /** A token is missing or wrong (401, 403). */
    public static final int DENIED = 6;
    /** The request contradicts the state: lock not held (409), session closed (410). */
    public static final int CONFLICT = 7;
    /** The recorder or the service failed (5xx other than 504). */
    public static final int RECORDER_FAILURE = 8;

    private ExitCodes() {
    }

    /** The exit code of an HTTP problem status. */
    public static int ofStatus(int status) {
        switch (status) {
            case 400:
            case 413:
            case 415:
            case 422:
                return USAGE;
            case 401:
            case 403:
                return DENIED;
            case 404:
                return NOT_FOUND;
            case 409:
            case 410:
                return CONFLICT;
            case 423:
            case 429:
            case 504:
                return BUSY;
            default:
                return status >= 500 ? RECORDER_FAILURE : FAILURE;
        }
    }
}
