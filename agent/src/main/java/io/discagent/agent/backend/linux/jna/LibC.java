package io.discagent.agent.backend.linux.jna;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Structure;
import com.sun.jna.ptr.IntByReference;

/**
 * The C library functions the Linux backend calls, declared by hand because jna-platform has none of them (only
 * {@code close}). Every function that can fail declares {@link LastErrorException}, so a failure arrives as that
 * exception carrying {@code errno} instead of a {@code -1} return.
 *
 * <p>Use the typed handles ({@link DeviceFd}, {@link NetlinkSocket}) rather than this interface. Loading it loads
 * {@code libc.so.6}: only classes that run on Linux may touch it.
 */
interface LibC extends Library {

    /** The one instance, loaded on first use. */
    LibC INSTANCE = Native.load("c", LibC.class);

    int open(String path, int flags) throws LastErrorException;

    int close(int fd) throws LastErrorException;

    /** {@code ioctl} with an integer argument (or none). */
    int ioctl(int fd, NativeLong request, long arg) throws LastErrorException;

    /** {@code ioctl} with a structure argument, such as {@code sg_io_hdr_t} for {@code SG_IO}. */
    int ioctl(int fd, NativeLong request, Structure arg) throws LastErrorException;

    int flock(int fd, int operation) throws LastErrorException;

    /** {@code fcntl} with a {@code struct flock} ({@code F_GETLK}, {@code F_SETLK}). */
    int fcntl(int fd, int cmd, Flock lock) throws LastErrorException;

    int socket(int domain, int type, int protocol) throws LastErrorException;

    int bind(int fd, SockaddrNl address, int length) throws LastErrorException;

    int setsockopt(int fd, int level, int name, IntByReference value, int length) throws LastErrorException;

    NativeLong recv(int fd, byte[] buffer, NativeLong length, int flags) throws LastErrorException;

    int umount2(String target, int flags) throws LastErrorException;

    int kill(int pid, int signal) throws LastErrorException;

    /** The C library's message for an errno value. */
    String strerror(int errnum);
}
