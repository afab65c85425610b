package io.discagent.api.error;

import static org.assertj.core.api.Assertions.assertThat;

import io.discagent.api.RecorderId;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HResultTests {

    @Test
    void seedCodesHaveTheirExactValues() {
        assertThat(HResult.E_FAIL.code()).isEqualTo(0x80004005);
        assertThat(HResult.E_OUTOFMEMORY.code()).isEqualTo(0x8007000E);
        assertThat(HResult.E_IMAPI_RECORDER_COMMAND_TIMEOUT.code()).isEqualTo(0xC0AA020D);
        assertThat(HResult.E_IMAPI_RECORDER_LOCKED.code()).isEqualTo(0xC0AA0210).isEqualTo(-1062600176);
        assertThat(HResult.HRESULT_FROM_WIN32_ERROR_INVALID_HANDLE.code()).isEqualTo(0x80070006);
        assertThat(HResult.HRESULT_FROM_WIN32_ERROR_DEV_NOT_EXIST.code()).isEqualTo(0x80070037);
    }

    @Test
    void win32CodesSitInsideTheirHResults() {
        assertThat(HResult.fromWin32(6)).isEqualTo(0x80070006);
        assertThat(HResult.fromWin32(55)).isEqualTo(0x80070037);
        assertThat(HResult.fromWin32(0)).isZero();
        assertThat(HResult.HRESULT_FROM_WIN32_ERROR_INVALID_HANDLE.win32Code()).isEqualTo(6);
        assertThat(HResult.HRESULT_FROM_WIN32_ERROR_DEV_NOT_EXIST.win32Code()).isEqualTo(55);
        assertThat(HResult.E_IMAPI_RECORDER_LOCKED.win32Code()).isEqualTo(-1);
        assertThat(HResult.E_IMAPI_RECORDER_LOCKED.facility()).isEqualTo(HResult.FACILITY_IMAPI2);
    }

    @Test
    void theWholeRecorderFamilyIsKnownByName() {
        Map<Integer, String> family = Map.ofEntries(
                Map.entry(0xC0AA0002, "E_IMAPI_REQUEST_CANCELLED"),
                Map.entry(0xC0AA0003, "E_IMAPI_RECORDER_REQUIRED"),
                Map.entry(0x00AA0200, "S_IMAPI_COMMAND_HAS_SENSE_DATA"),
                Map.entry(0xC0AA0201, "E_IMAPI_RECORDER_NO_SUCH_MODE_PAGE"),
                Map.entry(0xC0AA0202, "E_IMAPI_RECORDER_MEDIA_NO_MEDIA"),
                Map.entry(0xC0AA0203, "E_IMAPI_RECORDER_MEDIA_INCOMPATIBLE"),
                Map.entry(0xC0AA0204, "E_IMAPI_RECORDER_MEDIA_UPSIDE_DOWN"),
                Map.entry(0xC0AA0205, "E_IMAPI_RECORDER_MEDIA_BECOMING_READY"),
                Map.entry(0xC0AA0206, "E_IMAPI_RECORDER_MEDIA_FORMAT_IN_PROGRESS"),
                Map.entry(0xC0AA0207, "E_IMAPI_RECORDER_MEDIA_BUSY"),
                Map.entry(0xC0AA0208, "E_IMAPI_RECORDER_INVALID_MODE_PARAMETERS"),
                Map.entry(0xC0AA0209, "E_IMAPI_RECORDER_MEDIA_WRITE_PROTECTED"),
                Map.entry(0xC0AA020A, "E_IMAPI_RECORDER_NO_SUCH_FEATURE"),
                Map.entry(0xC0AA020B, "E_IMAPI_RECORDER_FEATURE_IS_NOT_CURRENT"),
                Map.entry(0xC0AA020C, "E_IMAPI_RECORDER_GET_CONFIGURATION_NOT_SUPPORTED"),
                Map.entry(0xC0AA020D, "E_IMAPI_RECORDER_COMMAND_TIMEOUT"),
                Map.entry(0xC0AA020E, "E_IMAPI_RECORDER_DVD_STRUCTURE_NOT_PRESENT"),
                Map.entry(0xC0AA020F, "E_IMAPI_RECORDER_MEDIA_SPEED_MISMATCH"),
                Map.entry(0xC0AA0210, "E_IMAPI_RECORDER_LOCKED"),
                Map.entry(0xC0AA0211, "E_IMAPI_RECORDER_CLIENT_NAME_IS_NOT_VALID"),
                Map.entry(0xC0AA0212, "E_IMAPI_RECORDER_MEDIA_NOT_FORMATTED"),
                Map.entry(0xC0AA02FF, "E_IMAPI_RECORDER_INVALID_RESPONSE_FROM_DEVICE"),
                Map.entry(0xC0AA0300, "E_IMAPI_LOSS_OF_STREAMING"),
                Map.entry(0xC0AA0301, "E_IMAPI_UNEXPECTED_RESPONSE_FROM_DEVICE"));
        family.forEach((code, name) -> assertThat(HResult.of(code).name()).as("0x%08X", code).isEqualTo(name));
    }

    @Test
    void unknownCodesKeepTheirValue() {
        HResult unknown = HResult.of(0x80071234);
        assertThat(unknown.code()).isEqualTo(0x80071234);
        assertThat(unknown.name()).isEqualTo("HRESULT_FROM_WIN32(4660)");
        assertThat(HResult.of(0xC0AA9999).name()).isEqualTo("0xC0AA9999");
    }

    @Test
    void theFactoryMapsExactCodesToTypes() {
        RecorderId id = RecorderId.of("r");
        assertThat(RecorderExceptions.create(0xC0AA0210, "m", id)).isInstanceOf(RecorderLockedException.class);
        assertThat(RecorderExceptions.create(0xC0AA020D, "m", id)).isInstanceOf(CommandTimeoutException.class);
        assertThat(RecorderExceptions.create(0x80070037, "m", id)).isInstanceOf(RecorderRemovedException.class);
        assertThat(RecorderExceptions.create(0x80070006, "m", id)).isInstanceOf(InvalidHandleException.class);
        assertThat(RecorderExceptions.create(0x80070016, "m", id)).isInstanceOf(VolumeMountedException.class);
        assertThat(RecorderExceptions.create(0x80070005, "m", id)).isInstanceOf(AccessDeniedException.class);
        assertThat(RecorderExceptions.create(0xC0AA0211, "m", id)).isInstanceOf(InvalidClientNameException.class);
        assertThat(RecorderExceptions.create(0xC0AA0207, "m", id)).isInstanceOf(DeviceNotReadyException.class);
        assertThat(RecorderExceptions.create(0x80004005, "m", id)).isInstanceOf(NativeRecorderException.class);
        assertThat(RecorderExceptions.create(0x8007000E, "m", id)).isInstanceOf(NativeRecorderException.class)
                .hasMessageStartingWith("0x8007000E E_OUTOFMEMORY: m");
    }

    @Test
    void transientFailuresAreDistinguishableFromPermanentOnes() {
        RecorderId id = RecorderId.of("r");
        assertThat(RecorderExceptions.create(0xC0AA0210, "m", id).isTransient()).isTrue();
        assertThat(RecorderExceptions.create(0xC0AA020D, "m", id).isTransient()).isTrue();
        assertThat(RecorderExceptions.create(0x800705B4, "m", id).isTransient()).isTrue();
        assertThat(RecorderExceptions.create(0x80070037, "m", id).isTransient()).isFalse();
        assertThat(RecorderExceptions.create(0x80070006, "m", id).isTransient()).isFalse();
        assertThat(RecorderExceptions.isDeviceGone(RecorderExceptions.create(0x80070037, "m", id))).isTrue();
        assertThat(RecorderExceptions.isDeviceGone(RecorderExceptions.create(0xC0AA0210, "m", id))).isFalse();
    }

    @Test
    void exceptionsCarryOwnerRecorderAndNativeDetail() {
        NativeDetail detail = new NativeDetail("open(/dev/sr0)", 16, "EBUSY", "Device or resource busy", "");
        RecorderException e = RecorderExceptions.create(HResult.E_IMAPI_RECORDER_LOCKED, "busy", RecorderId.of("sr0"),
                "wodim (pid 4242)", detail, null);
        assertThat(e.owner()).contains("wodim (pid 4242)");
        assertThat(e.recorder()).contains(RecorderId.of("sr0"));
        assertThat(e.nativeDetail()).contains(detail);
        assertThat(e.getMessage()).isEqualTo("0xC0AA0210 E_IMAPI_RECORDER_LOCKED: busy [open(/dev/sr0): EBUSY (16) "
                + "Device or resource busy]");
        assertThat(((RecorderLockedException) e).withOwner("x").owner()).contains("x");
    }
}
