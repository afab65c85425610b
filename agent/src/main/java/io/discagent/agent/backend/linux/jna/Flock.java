package io.discagent.agent.backend.linux.jna;

import com.sun.jna.Structure;
import com.sun.jna.Structure.FieldOrder;

/** {@code struct flock} for {@code fcntl(F_SETLK/F_GETLK)}: 32 bytes on x86-64 (reference linux.md 2.4). */
@FieldOrder({"l_type", "l_whence", "l_start", "l_len", "l_pid"})
public final class Flock extends Structure {

    public short l_type;
    public short l_whence;
    public long l_start;
    public long l_len;
    public int l_pid;

    /** A whole-file lock request of {@code type} ({@code F_RDLCK}, {@code F_WRLCK}). */
    static Flock wholeFile(short type) {
        Flock lock = new Flock();
        lock.l_type = type;
        lock.l_whence = 0; // SEEK_SET
        lock.l_start = 0;
        lock.l_len = 0; // to the end, whatever the size
        return lock;
    }
}
