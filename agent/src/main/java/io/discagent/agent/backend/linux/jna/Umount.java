package io.discagent.agent.backend.linux.jna;

import com.sun.jna.LastErrorException;

/** {@code umount2(2)}. */
public final class Umount {

    private Umount() {
    }

    /** Unmounts the file system at {@code mountPoint}; {@code flags} 0 for a plain unmount. */
    public static void umount2(String mountPoint, int flags) {
        try {
            LibC.INSTANCE.umount2(mountPoint, flags);
        } catch (LastErrorException e) {
            throw new NativeCallException("umount2(" + mountPoint + ", " + flags + ")", e.getErrorCode());
        }
    }
}
