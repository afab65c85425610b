package io.discagent.agent.backend.linux;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.agent.backend.linux.jna.Linux;
import io.discagent.agent.backend.linux.jna.NativeCallException;
import io.discagent.agent.backend.linux.jna.SgIoResult;
import io.discagent.api.error.AccessDeniedException;
import io.discagent.api.error.CommandTimeoutException;
import io.discagent.api.error.DeviceNotReadyException;
import io.discagent.api.error.HResult;
import io.discagent.api.error.InvalidHandleException;
import io.discagent.api.error.NativeRecorderException;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RecorderLockedException;
import io.discagent.api.error.RecorderRemovedException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The errno and SCSI outcome mapping for errnos a test cannot provoke on demand ({@code ENXIO}, {@code EBADF},
 * {@code ETIMEDOUT}, a SCSI timeout): each keeps its errno, name and call in the native detail.
 */
class LinuxErrorsTests {

    private final LinuxDevice device = new LinuxDevice("sr9", Path.of("/nonexistent/sr9"), new DeviceNumber(11, 9),
            true, "VENDOR", "PRODUCT", "1.0", Map.of());
    private final LinuxErrors errors = new LinuxErrors(device, new OwnerDiscovery(new OwnDescriptors()));

    private RecorderException map(int errno) {
        return errors.of(new NativeCallException("ioctl(/nonexistent/sr9, SG_IO)", errno),
                OwnerDiscovery.Conflict.CLAIM);
    }

    @Test
    void errnosMapToTheirHResults() {
        assertThat(map(Linux.EBUSY)).isInstanceOf(RecorderLockedException.class)
                .extracting(RecorderException::hresult).isEqualTo(HResult.E_IMAPI_RECORDER_LOCKED);
        assertThat(map(Linux.EAGAIN)).isInstanceOf(RecorderLockedException.class);
        for (int gone : new int[] {Linux.ENODEV, Linux.ENXIO, Linux.ENOENT}) {
            assertThat(map(gone)).isInstanceOf(RecorderRemovedException.class).extracting(RecorderException::hresult)
                    .isEqualTo(HResult.HRESULT_FROM_WIN32_ERROR_DEV_NOT_EXIST);
        }
        assertThat(map(Linux.EBADF)).isInstanceOf(InvalidHandleException.class)
                .extracting(RecorderException::hresult).isEqualTo(HResult.HRESULT_FROM_WIN32_ERROR_INVALID_HANDLE);
        assertThat(map(Linux.EACCES)).isInstanceOf(AccessDeniedException.class)
                .hasMessageContaining("cdrom").hasMessageContaining("udev");
        assertThat(map(Linux.EPERM)).isInstanceOf(AccessDeniedException.class);
        assertThat(map(Linux.ETIMEDOUT)).isInstanceOf(CommandTimeoutException.class)
                .extracting(RecorderException::hresult).isEqualTo(HResult.E_IMAPI_RECORDER_COMMAND_TIMEOUT);
        assertThat(map(Linux.EIO)).isInstanceOf(NativeRecorderException.class)
                .extracting(RecorderException::hresult).isEqualTo(HResult.E_FAIL);
    }

    @Test
    void theNativeDetailKeepsTheErrnoAndTheCall() {
        RecorderException e = map(Linux.ENXIO);
        assertThat(e.nativeDetail()).hasValueSatisfying(d -> {
            assertThat(d.code()).isEqualTo(Linux.ENXIO);
            assertThat(d.symbol()).isEqualTo("ENXIO");
            assertThat(d.description()).isEqualTo("No such device or address");
            assertThat(d.source()).isEqualTo("ioctl(/nonexistent/sr9, SG_IO)");
        });
        assertThat(e.recorder()).hasValueSatisfying(id -> assertThat(id.value()).isEqualTo("sr9"));
    }

    @Test
    void scsiOutcomesMapWithTheirSense() {
        byte[] becomingReady = fixedSense(2, 0x04, 0x01);
        RecorderException notReady = errors.of(new SgIoResult("TEST UNIT READY", 2, 0, 8, 1, becomingReady,
                new byte[0], 3));
        assertThat(notReady).isInstanceOf(DeviceNotReadyException.class);
        assertThat(notReady.nativeDetail()).hasValueSatisfying(d -> {
            assertThat(d.symbol()).isEqualTo("CHECK CONDITION");
            assertThat(d.description()).contains("sense 2/04/01");
            assertThat(d.senseData()).startsWith("70 00 02");
        });
        RecorderException timeout = errors.of(new SgIoResult("PREVENT ALLOW MEDIUM REMOVAL (prevent)", 0,
                Linux.DID_TIME_OUT, 0, 1, new byte[0], new byte[0], 5000));
        assertThat(timeout).isInstanceOf(CommandTimeoutException.class);
        assertThat(timeout.nativeDetail().orElseThrow().description()).contains("timed out");
    }

    @Test
    void senseDataIsReadInBothFormats() {
        SgIoResult fixed = new SgIoResult("x", 2, 0, 8, 1, fixedSense(5, 0x53, 0x02), new byte[0], 1);
        assertThat(fixed.senseTriple()).isEqualTo("5/53/02");
        assertThat(fixed.ok()).isFalse();
        byte[] descriptor = {0x72, 0x06, 0x28, 0x00, 0, 0, 0, 0};
        SgIoResult unitAttention = new SgIoResult("x", 2, 0, 8, 1, descriptor, new byte[0], 1);
        assertThat(unitAttention.senseTriple()).isEqualTo("6/28/00");
        assertThat(new SgIoResult("x", 0, 0, 0, 0, new byte[0], new byte[0], 1).ok()).isTrue();
    }

    private static byte[] fixedSense(int key, int asc, int ascq) {
        byte[] sense = new byte[18];
        sense[0] = 0x70;
        sense[2] = (byte) key;
        sense[7] = 10;
        sense[12] = (byte) asc;
        sense[13] = (byte) ascq;
        return sense;
    }
}
