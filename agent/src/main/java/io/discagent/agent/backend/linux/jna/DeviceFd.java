package io.discagent.agent.backend.linux.jna;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.NativeLong;
import java.util.StringJoiner;

/**
 * An open file descriptor of a device node: the typed handle the backend holds instead of a bare {@code int}. Not
 * thread-safe: one thread owns it (a recorder's native worker, or the control worker for a short probe).
 *
 * <p>Every failing call throws {@link NativeCallException} with the errno and the call spelled out.
 */
public final class DeviceFd implements AutoCloseable {

    private final String path;
    private final OpenDescriptor fd;
    private final int flags;

    private DeviceFd(String path, int fd, int flags) {
        this.path = path;
        this.fd = new OpenDescriptor(fd);
        this.flags = flags;
    }

    /** {@code open(path, flags)}. */
    public static DeviceFd open(String path, int flags) {
        try {
            return new DeviceFd(path, LibC.INSTANCE.open(path, flags), flags);
        } catch (LastErrorException e) {
            throw new NativeCallException("open(" + path + ", " + describeFlags(flags) + ")", e.getErrorCode());
        }
    }

    /** The descriptor number (for matching {@code /proc/self/fd} entries). */
    public int number() {
        return fd.raw();
    }

    /** The path it was opened with. */
    public String path() {
        return path;
    }

    /** Whether it was opened for writing. */
    public boolean writable() {
        return (flags & Linux.O_RDWR) != 0;
    }

    /** Whether {@link #close()} has not run yet. */
    public boolean isOpen() {
        return fd.isOpen();
    }

    /** {@code flock(fd, operation)}. */
    public void flock(int operation) {
        try {
            LibC.INSTANCE.flock(fd.number(path), operation);
        } catch (LastErrorException e) {
            throw new NativeCallException("flock(" + path + ", " + describeLock(operation) + ")", e.getErrorCode());
        }
    }

    /** {@code fcntl(fd, F_SETLK, whole file of type)}: a POSIX record lock on the whole device. */
    public void setRecordLock(short type) {
        try {
            LibC.INSTANCE.fcntl(fd.number(path), Linux.F_SETLK, Flock.wholeFile(type));
        } catch (LastErrorException e) {
            throw new NativeCallException("fcntl(" + path + ", F_SETLK, " + (type == Linux.F_WRLCK ? "F_WRLCK"
                    : type == Linux.F_RDLCK ? "F_RDLCK" : "F_UNLCK") + ")", e.getErrorCode());
        }
    }

    /**
     * {@code fcntl(fd, F_GETLK)}: the pid of a process whose POSIX lock conflicts with a whole-file lock of
     * {@code type}, or 0 when none does.
     */
    public int recordLockHolder(short type) {
        Flock lock = Flock.wholeFile(type);
        try {
            LibC.INSTANCE.fcntl(fd.number(path), Linux.F_GETLK, lock);
        } catch (LastErrorException e) {
            throw new NativeCallException("fcntl(" + path + ", F_GETLK)", e.getErrorCode());
        }
        lock.read();
        return lock.l_type == Linux.F_UNLCK ? 0 : lock.l_pid;
    }

    /** {@code ioctl(fd, request, arg)} with an integer argument; returns what the ioctl returned. */
    public int ioctl(long request, long arg, String name) {
        try {
            return LibC.INSTANCE.ioctl(fd.number(path), new NativeLong(request), arg);
        } catch (LastErrorException e) {
            throw new NativeCallException("ioctl(" + path + ", " + name + ")", e.getErrorCode());
        }
    }

    /**
     * Sends one SCSI command through {@code SG_IO}. The ioctl failing (the device is gone, the command is not
     * allowed) throws; a command the device completed with an error returns a result whose {@link SgIoResult#ok()}
     * is false.
     *
     * @param name the command's name, for messages
     * @param cdb the command descriptor block
     * @param dataInLength how many bytes to read back (0 for none)
     * @param timeoutMillis the kernel's timeout for the command
     */
    public SgIoResult sgIo(String name, byte[] cdb, int dataInLength, int timeoutMillis) {
        int descriptor = fd.number(path);
        Memory command = new Memory(cdb.length);
        command.write(0, cdb, 0, cdb.length);
        Memory sense = new Memory(SgIoResult.SENSE_BUFFER);
        sense.clear();
        Memory data = dataInLength > 0 ? new Memory(dataInLength) : null;
        if (data != null) {
            data.clear();
        }
        SgIoHdr hdr = new SgIoHdr();
        hdr.interface_id = Linux.SG_INTERFACE_ID;
        hdr.dxfer_direction = data == null ? Linux.SG_DXFER_NONE : Linux.SG_DXFER_FROM_DEV;
        hdr.cmd_len = (byte) cdb.length;
        hdr.mx_sb_len = (byte) SgIoResult.SENSE_BUFFER;
        hdr.dxfer_len = dataInLength;
        hdr.dxferp = data;
        hdr.cmdp = command;
        hdr.sbp = sense;
        hdr.timeout = timeoutMillis;
        try {
            LibC.INSTANCE.ioctl(descriptor, new NativeLong(Linux.SG_IO), hdr);
        } catch (LastErrorException e) {
            throw new NativeCallException("SG_IO " + name + " on " + path, e.getErrorCode());
        }
        int senseLength = Math.min(Byte.toUnsignedInt(hdr.sb_len_wr), SgIoResult.SENSE_BUFFER);
        byte[] senseBytes = sense.getByteArray(0, senseLength);
        byte[] dataBytes = data == null ? new byte[0] : data.getByteArray(0, Math.max(0, dataInLength - hdr.resid));
        return new SgIoResult(name, Byte.toUnsignedInt(hdr.status), Short.toUnsignedInt(hdr.host_status),
                Short.toUnsignedInt(hdr.driver_status), hdr.info, senseBytes, dataBytes, hdr.duration);
    }

    /** Closes the descriptor (once; later calls do nothing). The kernel drops the claim and the locks with it. */
    @Override
    public void close() {
        fd.close(path);
    }

    /** {@code O_RDWR|O_NONBLOCK|...} for messages. */
    static String describeFlags(int flags) {
        StringJoiner j = new StringJoiner("|");
        j.add((flags & Linux.O_RDWR) != 0 ? "O_RDWR" : "O_RDONLY");
        if ((flags & Linux.O_NONBLOCK) != 0) {
            j.add("O_NONBLOCK");
        }
        if ((flags & Linux.O_EXCL) != 0) {
            j.add("O_EXCL");
        }
        if ((flags & Linux.O_CLOEXEC) != 0) {
            j.add("O_CLOEXEC");
        }
        return j.toString();
    }

    private static String describeLock(int operation) {
        StringJoiner j = new StringJoiner("|");
        switch (operation & ~Linux.LOCK_NB) {
            case Linux.LOCK_SH -> j.add("LOCK_SH");
            case Linux.LOCK_EX -> j.add("LOCK_EX");
            case Linux.LOCK_UN -> j.add("LOCK_UN");
            default -> j.add(Integer.toString(operation & ~Linux.LOCK_NB));
        }
        if ((operation & Linux.LOCK_NB) != 0) {
            j.add("LOCK_NB");
        }
        return j.toString();
    }

    @Override
    public String toString() {
        return "DeviceFd[" + path + " fd " + fd.raw() + (fd.isOpen() ? "" : " closed") + "]";
    }
}
