package io.discagent.agent.backend.linux.jna;

import io.discagent.api.error.NativeDetail;
import java.util.HexFormat;

/**
 * What one {@code SG_IO} command came back with. The ioctl itself succeeds even when the command failed: the
 * statuses and the sense data tell (reference linux.md 2.4).
 *
 * @param command the command's name
 * @param status the SCSI status ({@code 0x02} = CHECK CONDITION)
 * @param hostStatus the host adapter status ({@code DID_*})
 * @param driverStatus the mid-layer status ({@code DRIVER_*})
 * @param info the {@code info} flags ({@code SG_INFO_OK_MASK})
 * @param sense the sense bytes the device returned (empty if none)
 * @param data the bytes read back
 * @param durationMillis how long the command took, as the kernel measured it
 */
public record SgIoResult(String command, int status, int hostStatus, int driverStatus, int info, byte[] sense,
        byte[] data, int durationMillis) {

    static final int SENSE_BUFFER = 64;

    /** Whether the command completed without error. */
    public boolean ok() {
        return (info & Linux.SG_INFO_OK_MASK) == 0 && status == 0 && hostStatus == 0
                && (driverStatus & 0x0f) == 0;
    }

    /** Whether the kernel gave up waiting for the device. */
    public boolean timedOut() {
        return hostStatus == Linux.DID_TIME_OUT || (driverStatus & 0x0f) == Linux.DRIVER_TIMEOUT;
    }

    /** The sense key (0 when there are no sense data). */
    public int senseKey() {
        if (sense.length < 3) {
            return 0;
        }
        return descriptorFormat() ? sense[1] & 0x0f : sense[2] & 0x0f;
    }

    /** The additional sense code. */
    public int asc() {
        int at = descriptorFormat() ? 2 : 12;
        return sense.length > at ? Byte.toUnsignedInt(sense[at]) : 0;
    }

    /** The additional sense code qualifier. */
    public int ascq() {
        int at = descriptorFormat() ? 3 : 13;
        return sense.length > at ? Byte.toUnsignedInt(sense[at]) : 0;
    }

    private boolean descriptorFormat() {
        return sense.length > 0 && (sense[0] & 0x7e) == 0x72;
    }

    /** Key/ASC/ASCQ as {@code 5/53/02}. */
    public String senseTriple() {
        return String.format("%x/%02x/%02x", senseKey(), asc(), ascq());
    }

    /** The outcome as the error model's native detail, with the sense bytes. */
    public NativeDetail detail() {
        String description = String.format("status 0x%02x, host 0x%02x, driver 0x%02x", status, hostStatus,
                driverStatus) + (sense.length > 0 ? ", sense " + senseTriple() : "") + (timedOut() ? ", timed out"
                : "");
        return new NativeDetail("SG_IO " + command, status, status == Linux.SAM_STAT_CHECK_CONDITION
                ? "CHECK CONDITION" : ok() ? "GOOD" : "", description,
                sense.length == 0 ? "" : HexFormat.ofDelimiter(" ").formatHex(sense));
    }
}
