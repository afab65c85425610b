package io.discagent.agent.backend.linux.jna;

import java.util.Map;

/** Symbolic names and messages of errno values. */
public final class Errno {

    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(Linux.EPERM, "EPERM"), Map.entry(Linux.ENOENT, "ENOENT"), Map.entry(Linux.EINTR, "EINTR"),
            Map.entry(Linux.EIO, "EIO"), Map.entry(Linux.ENXIO, "ENXIO"), Map.entry(Linux.EBADF, "EBADF"),
            Map.entry(Linux.EAGAIN, "EAGAIN"), Map.entry(12, "ENOMEM"), Map.entry(Linux.EACCES, "EACCES"),
            Map.entry(Linux.EBUSY, "EBUSY"), Map.entry(17, "EEXIST"), Map.entry(Linux.ENODEV, "ENODEV"),
            Map.entry(20, "ENOTDIR"), Map.entry(Linux.EINVAL, "EINVAL"), Map.entry(24, "EMFILE"),
            Map.entry(Linux.ENOTTY, "ENOTTY"), Map.entry(Linux.EROFS, "EROFS"), Map.entry(93, "EPROTONOSUPPORT"),
            Map.entry(95, "EOPNOTSUPP"), Map.entry(97, "EAFNOSUPPORT"), Map.entry(Linux.ENOBUFS, "ENOBUFS"),
            Map.entry(Linux.ETIMEDOUT, "ETIMEDOUT"), Map.entry(Linux.ENOMEDIUM, "ENOMEDIUM"),
            Map.entry(124, "EMEDIUMTYPE"));

    private Errno() {
    }

    /** The symbolic name, such as {@code EBUSY}, or {@code errno N} for one not in the table. */
    public static String name(int errno) {
        return NAMES.getOrDefault(errno, "errno " + errno);
    }

    /** The C library's message, such as {@code Device or resource busy}. */
    public static String message(int errno) {
        try {
            String message = LibC.INSTANCE.strerror(errno);
            return message == null ? "" : message;
        } catch (RuntimeException | LinkageError e) {
            return "";
        }
    }
}
