package io.discagent.agent.backend.linux.jna;

import com.sun.jna.LastErrorException;

/** A file descriptor number that is closed exactly once: the core of the typed handles. Not thread-safe. */
final class OpenDescriptor {

    private final int fd;
    private boolean closed;

    OpenDescriptor(int fd) {
        this.fd = fd;
    }

    /** The descriptor number, or a {@code EBADF} failure naming {@code what} once closed. */
    int number(String what) {
        if (closed) {
            throw new NativeCallException("use of the closed descriptor of " + what, Linux.EBADF);
        }
        return fd;
    }

    /** The number, open or not (for matching {@code /proc/self/fd} entries and messages). */
    int raw() {
        return fd;
    }

    boolean isOpen() {
        return !closed;
    }

    /** {@code close(fd)} the first time; nothing afterwards. */
    void close(String what) {
        if (closed) {
            return;
        }
        closed = true;
        try {
            LibC.INSTANCE.close(fd);
        } catch (LastErrorException e) {
            throw new NativeCallException("close(" + what + ")", e.getErrorCode());
        }
    }
}
