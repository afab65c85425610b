package io.discagent.agent.backend.linux.jna;

import com.sun.jna.LastErrorException;
import com.sun.jna.NativeLong;
import com.sun.jna.ptr.IntByReference;
import org.jspecify.annotations.Nullable;

/**
 * A non-blocking {@code NETLINK_KOBJECT_UEVENT} socket bound to the kernel's uevent group: the typed handle of the
 * hotplug listener. Works without udevd. Not thread-safe: the control worker owns it.
 */
public final class NetlinkSocket implements AutoCloseable {

    private static final int RECEIVE_BUFFER = 4 << 20;

    private static final String WHAT = "uevent socket";

    private final OpenDescriptor fd;
    private final byte[] buffer = new byte[16 * 1024];

    private NetlinkSocket(int fd) {
        this.fd = new OpenDescriptor(fd);
    }

    /** Opens and binds the socket; raises its receive buffer so that bursts (a hub of drives) do not overflow. */
    public static NetlinkSocket openUevents() {
        int fd;
        try {
            fd = LibC.INSTANCE.socket(Linux.AF_NETLINK, Linux.SOCK_DGRAM | Linux.SOCK_NONBLOCK | Linux.SOCK_CLOEXEC,
                    Linux.NETLINK_KOBJECT_UEVENT);
        } catch (LastErrorException e) {
            throw new NativeCallException("socket(AF_NETLINK, NETLINK_KOBJECT_UEVENT)", e.getErrorCode());
        }
        NetlinkSocket socket = new NetlinkSocket(fd);
        try {
            socket.raiseReceiveBuffer();
            SockaddrNl address = new SockaddrNl();
            address.nl_family = (short) Linux.AF_NETLINK;
            address.nl_pid = 0; // let the kernel pick the port
            address.nl_groups = Linux.UEVENT_GROUP_KERNEL;
            LibC.INSTANCE.bind(fd, address, address.size());
        } catch (LastErrorException e) {
            socket.close();
            throw new NativeCallException("bind(NETLINK_KOBJECT_UEVENT, group 1)", e.getErrorCode());
        }
        return socket;
    }

    private void raiseReceiveBuffer() {
        IntByReference size = new IntByReference(RECEIVE_BUFFER);
        try {
            LibC.INSTANCE.setsockopt(fd.raw(), Linux.SOL_SOCKET, Linux.SO_RCVBUFFORCE, size, 4);
        } catch (LastErrorException notPrivileged) {
            try {
                LibC.INSTANCE.setsockopt(fd.raw(), Linux.SOL_SOCKET, Linux.SO_RCVBUF, size, 4);
            } catch (LastErrorException ignored) {
                // the default buffer still works; an overflow is detected (ENOBUFS) and answered by a rescan
            }
        }
    }

    /**
     * Receives one datagram without waiting.
     *
     * @return the datagram's bytes, or {@code null} when none is queued
     * @throws NativeCallException with {@code ENOBUFS} when the kernel dropped messages (the caller rescans)
     */
    public byte @Nullable [] receive() {
        int descriptor = fd.number(WHAT);
        try {
            long n = LibC.INSTANCE.recv(descriptor, buffer, new NativeLong(buffer.length), Linux.MSG_DONTWAIT).longValue();
            byte[] copy = new byte[(int) n];
            System.arraycopy(buffer, 0, copy, 0, copy.length);
            return copy;
        } catch (LastErrorException e) {
            if (e.getErrorCode() == Linux.EAGAIN || e.getErrorCode() == Linux.EINTR) {
                return null;
            }
            throw new NativeCallException("recv(uevent socket)", e.getErrorCode());
        }
    }

    /** Closes the socket (once). */
    @Override
    public void close() {
        try {
            fd.close(WHAT);
        } catch (NativeCallException ignored) {
            // nothing useful to do: the descriptor is gone either way
        }
    }
}
