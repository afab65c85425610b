package io.discagent.agent.backend.linux.jna;

import io.discagent.api.error.NativeDetail;

/**
 * A C library call failed with {@code errno}. The backend turns it into a typed
 * {@link io.discagent.api.error.RecorderException} with {@link #detail()} attached.
 */
public final class NativeCallException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String call;
    private final int errno;

    /**
     * @param call the call that failed, with its arguments, such as {@code open(/dev/sr0, O_RDWR|O_EXCL)}
     * @param errno the error number
     */
    public NativeCallException(String call, int errno) {
        super(call + ": " + Errno.name(errno) + " (" + errno + ") " + Errno.message(errno), null, false, false);
        this.call = call;
        this.errno = errno;
    }

    /** The call that failed. */
    public String call() {
        return call;
    }

    /** The error number. */
    public int errno() {
        return errno;
    }

    /** Whether the error number is one of {@code errnos}. */
    public boolean is(int... errnos) {
        for (int e : errnos) {
            if (e == errno) {
                return true;
            }
        }
        return false;
    }

    /** The failure as the error model's native detail. */
    public NativeDetail detail() {
        return NativeDetail.of(call, errno, Errno.name(errno), Errno.message(errno));
    }
}
