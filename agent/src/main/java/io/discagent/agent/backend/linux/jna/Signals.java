package io.discagent.agent.backend.linux.jna;

import com.sun.jna.LastErrorException;

/** Sends signals to processes the backend started (a burning tool it stops). */
public final class Signals {

    /** {@code SIGINT}: a tool's own, orderly abort (libburn releases the drive before it exits). */
    public static final int SIGINT = 2;
    /** {@code SIGKILL}. */
    public static final int SIGKILL = 9;

    private Signals() {
    }

    /**
     * {@code kill(pid, signal)}.
     *
     * @return whether the signal was sent (false when the process is gone already)
     * @throws NativeCallException for any other failure
     */
    public static boolean send(long pid, int signal) {
        try {
            LibC.INSTANCE.kill((int) pid, signal);
            return true;
        } catch (LastErrorException e) {
            if (e.getErrorCode() == 3) { // ESRCH
                return false;
            }
            throw new NativeCallException("kill(" + pid + ", " + signal + ")", e.getErrorCode());
        }
    }
}
