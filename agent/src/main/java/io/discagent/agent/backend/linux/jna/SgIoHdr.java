package io.discagent.agent.backend.linux.jna;

import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.Structure.FieldOrder;
import org.jspecify.annotations.Nullable;

/**
 * {@code sg_io_hdr_t}, the argument of the {@code SG_IO} ioctl: 88 bytes on x86-64 with a 4-byte hole before
 * {@code usr_ptr}, which JNA's default alignment reproduces with these field types (reference linux.md 2.4).
 */
@FieldOrder({"interface_id", "dxfer_direction", "cmd_len", "mx_sb_len", "iovec_count", "dxfer_len", "dxferp",
        "cmdp", "sbp", "timeout", "flags", "pack_id", "usr_ptr", "status", "masked_status", "msg_status",
        "sb_len_wr", "host_status", "driver_status", "resid", "duration", "info"})
public final class SgIoHdr extends Structure {

    public int interface_id;
    public int dxfer_direction;
    public byte cmd_len;
    public byte mx_sb_len;
    public short iovec_count;
    public int dxfer_len;
    public @Nullable Pointer dxferp;
    public @Nullable Pointer cmdp;
    public @Nullable Pointer sbp;
    public int timeout;
    public int flags;
    public int pack_id;
    public @Nullable Pointer usr_ptr;
    public byte status;
    public byte masked_status;
    public byte msg_status;
    public byte sb_len_wr;
    public short host_status;
    public short driver_status;
    public int resid;
    public int duration;
    public int info;
}
