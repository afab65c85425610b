package io.discagent.agent.backend.windows;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.jna.platform.win32.COM.COMException;
import com.sun.jna.platform.win32.COM.COMInvokeException;
import com.sun.jna.platform.win32.WinNT.HRESULT;
import io.discagent.agent.backend.windows.FakeMachine.Shape;
import io.discagent.api.RecorderId;
import io.discagent.api.error.AccessDeniedException;
import io.discagent.api.error.CommandTimeoutException;
import io.discagent.api.error.DeviceNotReadyException;
import io.discagent.api.error.HResult;
import io.discagent.api.error.InvalidArgumentException;
import io.discagent.api.error.InvalidClientNameException;
import io.discagent.api.error.InvalidHandleException;
import io.discagent.api.error.LockNotHeldException;
import io.discagent.api.error.NativeDetail;
import io.discagent.api.error.NativeRecorderException;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RecorderLockedException;
import io.discagent.api.error.RecorderRemovedException;
import io.discagent.api.error.VolumeMountedException;
import java.lang.reflect.UndeclaredThrowableException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** HRESULT extraction from both exception shapes, and the mapping of every code the backend treats specially. */
class ComErrorsTests {

    static final RecorderId REC = RecorderId.of("REC-A");

    // ------------------------------------------------------------------------------------------------ extraction

    @Test
    void aDirectCallCarriesItsHresult() {
        assertThat(ComErrors.hresultOf(new COMException("x", new HRESULT(0xC0AA0210)))).isEqualTo(0xC0AA0210);
    }

    @Test
    void aFailureThroughInvokeCarriesTheRealCodeInItsScode() {
        COMInvokeException wrapped = new COMInvokeException("x", new HRESULT(0x80020009), null, "locked", null, null,
                0xC0AA0210, "IMAPI2", 0);
        assertThat(ComErrors.hresultOf(wrapped)).isEqualTo(0xC0AA0210);
    }

    @Test
    void anInvokeFailureWithoutExceptionInfoKeepsItsHresult() {
        COMInvokeException noInfo = new COMInvokeException("x", new HRESULT(0x80070037), null, null, null, null, null,
                null, null);
        COMInvokeException zeroScode = new COMInvokeException("x", new HRESULT(0x80020009), null, "deferred", null,
                null, 0, null, 1001);
        assertThat(ComErrors.hresultOf(noInfo)).isEqualTo(0x80070037);
        assertThat(ComErrors.hresultOf(zeroScode)).isEqualTo(0x80020009);
    }

    @Test
    void theCodeIsFoundThroughWrappingExceptions() {
        RuntimeException wrapped = new RuntimeException(new UndeclaredThrowableException(
                new COMException("x", new HRESULT(0x80070006))));
        assertThat(ComErrors.hresultOf(wrapped)).isEqualTo(0x80070006);
    }

    @Test
    void withoutACodeItIsEFail() {
        assertThat(ComErrors.hresultOf(new COMException("no hresult"))).isEqualTo(0x80004005);
        assertThat(ComErrors.hresultOf(new IllegalStateException("not COM"))).isEqualTo(0x80004005);
    }

    // ------------------------------------------------------------------------------------------------ mapping

    static Stream<Arguments> mappings() {
        return Stream.of(
                Arguments.of(0xC0AA0210, Imapi2Call.ACQUIRE_EXCLUSIVE_ACCESS, RecorderLockedException.class),
                Arguments.of(0x80070005, Imapi2Call.ACQUIRE_EXCLUSIVE_ACCESS, RecorderLockedException.class),
                Arguments.of(0x80070005, Imapi2Call.RELEASE_EXCLUSIVE_ACCESS, AccessDeniedException.class),
                Arguments.of(0x80070005, Imapi2Call.CREATE_DISC_RECORDER, AccessDeniedException.class),
                Arguments.of(0x80070005, Imapi2Call.INITIALIZE_DISC_RECORDER, AccessDeniedException.class),
                Arguments.of(0x80070005, Imapi2Call.CREATE_DISC_MASTER, AccessDeniedException.class),
                Arguments.of(0xC0AA0210, Imapi2Call.EXCLUSIVE_ACCESS_OWNER, RecorderLockedException.class),
                Arguments.of(0xC0AA020D, Imapi2Call.ACQUIRE_EXCLUSIVE_ACCESS, CommandTimeoutException.class),
                Arguments.of(0xC0AA020D, Imapi2Call.RELEASE_EXCLUSIVE_ACCESS, CommandTimeoutException.class),
                Arguments.of(0x80070037, Imapi2Call.ACQUIRE_EXCLUSIVE_ACCESS, RecorderRemovedException.class),
                Arguments.of(0x80070037, Imapi2Call.INITIALIZE_DISC_RECORDER, RecorderRemovedException.class),
                Arguments.of(0x80070006, Imapi2Call.RELEASE_EXCLUSIVE_ACCESS, InvalidHandleException.class),
                Arguments.of(0x80070006, Imapi2Call.EXCLUSIVE_ACCESS_OWNER, InvalidHandleException.class),
                Arguments.of(0x80070016, Imapi2Call.ACQUIRE_EXCLUSIVE_ACCESS, VolumeMountedException.class),
                Arguments.of(0x80070016, Imapi2Call.INITIALIZE_DISC_RECORDER, NativeRecorderException.class),
                Arguments.of(0x80070016, Imapi2Call.RELEASE_EXCLUSIVE_ACCESS, NativeRecorderException.class),
                Arguments.of(0x80070016, Imapi2Call.VOLUME_PATH_NAMES, NativeRecorderException.class),
                Arguments.of(0xC0AA0211, Imapi2Call.ACQUIRE_EXCLUSIVE_ACCESS, InvalidClientNameException.class),
                Arguments.of(0x80070057, Imapi2Call.ACQUIRE_EXCLUSIVE_ACCESS, InvalidClientNameException.class),
                Arguments.of(0x80070057, Imapi2Call.INITIALIZE_DISC_RECORDER, InvalidArgumentException.class),
                Arguments.of(0x80070057, Imapi2Call.ITEM, InvalidArgumentException.class),
                Arguments.of(0x80070001, Imapi2Call.RELEASE_EXCLUSIVE_ACCESS, LockNotHeldException.class),
                Arguments.of(0x80070001, Imapi2Call.INITIALIZE_DISC_RECORDER, NativeRecorderException.class),
                Arguments.of(0x80070001, Imapi2Call.ACQUIRE_EXCLUSIVE_ACCESS, NativeRecorderException.class),
                Arguments.of(0x80010108, Imapi2Call.COUNT, NativeRecorderException.class),
                Arguments.of(0x80010108, Imapi2Call.ACQUIRE_EXCLUSIVE_ACCESS, NativeRecorderException.class),
                Arguments.of(0xC0AA0205, Imapi2Call.ACQUIRE_EXCLUSIVE_ACCESS, DeviceNotReadyException.class),
                Arguments.of(0xC0AA0204, Imapi2Call.INITIALIZE_DISC_RECORDER, NativeRecorderException.class),
                Arguments.of(0x80004005, Imapi2Call.RELEASE_EXCLUSIVE_ACCESS, NativeRecorderException.class),
                Arguments.of(0x8001010E, Imapi2Call.COUNT, NativeRecorderException.class),
                Arguments.of(0x8004DEAD, Imapi2Call.ACQUIRE_EXCLUSIVE_ACCESS, NativeRecorderException.class));
    }

    /**
     * Codes whose meaning depends on the call map per call: E_ACCESSDENIED and ERROR_BAD_COMMAND mean "locked" and
     * "mounted" from AcquireExclusiveAccess only, ERROR_INVALID_FUNCTION means "not held" from ReleaseExclusiveAccess
     * only; elsewhere they keep their code without claiming that meaning.
     */
    @ParameterizedTest(name = "{0} from {1} -> {2}")
    @MethodSource("mappings")
    void everyCodeMapsToItsTypeKeepingTheRealCode_inBothShapes(int code, Imapi2Call call,
            Class<? extends RecorderException> type) {
        for (Shape shape : Shape.values()) {
            RecorderException mapped = ComErrors.map(FakeMachine.exception(shape, code, "failed"), call, REC);
            assertThat(mapped).as(shape.name()).isInstanceOf(type);
            assertThat(mapped.hresult().code()).as(shape.name()).isEqualTo(code);
            assertThat(mapped.recorder()).contains(REC);
            assertThat(mapped.nativeDetail()).hasValueSatisfying(detail -> {
                assertThat(detail.code()).isEqualTo(code & 0xFFFFFFFFL);
                assertThat(detail.symbol()).isEqualTo(mapped.hresult().name());
                assertThat(detail.source()).startsWith(call.describe());
            });
            assertThat(mapped.getCause()).isInstanceOf(COMException.class);
        }
    }

    @Test
    void lockedKeepsTheCodeItCameWith_andIsTransient() {
        RecorderException denied = ComErrors.map(new COMException("x", new HRESULT(0x80070005)),
                Imapi2Call.ACQUIRE_EXCLUSIVE_ACCESS, REC);
        assertThat(denied).isInstanceOf(RecorderLockedException.class);
        assertThat(denied.hresult().name()).isEqualTo("E_ACCESSDENIED");
        assertThat(denied.isTransient()).isTrue();
        assertThat(denied.owner()).isEmpty();
    }

    @Test
    void theComDescriptionIsKept_andTheInvokeWrapperIsNamed() {
        COMInvokeException wrapped = new COMInvokeException("Invoke of DISPID 258 failed", new HRESULT(0x80020009),
                null, "The device associated with this recorder has been exclusively locked.", null, null, 0xC0AA0210,
                "IMAPI2.MsftDiscRecorder2", 0);
        NativeDetail detail = ComErrors.map(wrapped, Imapi2Call.ACQUIRE_EXCLUSIVE_ACCESS, REC).nativeDetail()
                .orElseThrow();
        assertThat(detail.source()).isEqualTo("IDiscRecorder2::AcquireExclusiveAccess (vtable slot 9, DISPID 0x102) "
                + "via IDispatch::Invoke 0x80020009 DISP_E_EXCEPTION");
        assertThat(detail.code()).isEqualTo(0xC0AA0210L);
        assertThat(detail.symbol()).isEqualTo("E_IMAPI_RECORDER_LOCKED");
        assertThat(detail.description()).isEqualTo("The device associated with this recorder has been exclusively "
                + "locked. (source: IMAPI2.MsftDiscRecorder2)");

        NativeDetail direct = ComErrors.map(new COMException("Release failed", new HRESULT(0x80070006)),
                Imapi2Call.RELEASE_EXCLUSIVE_ACCESS, REC).nativeDetail().orElseThrow();
        assertThat(direct.source()).isEqualTo("IDiscRecorder2::ReleaseExclusiveAccess (vtable slot 10, DISPID 0x103)");
        assertThat(direct.description()).isEqualTo("Release failed");
    }

    @Test
    void anInvokeFailureThatFilledOnlyWCodeKeepsItInTheDescription() {
        COMInvokeException onlyWCode = new COMInvokeException("x", new HRESULT(0x80020009), null, "app error", null,
                null, 0, null, 1001);
        RecorderException mapped = ComErrors.map(onlyWCode, Imapi2Call.ACQUIRE_EXCLUSIVE_ACCESS, REC);
        assertThat(mapped.hresult().code()).isEqualTo(0x80020009);
        assertThat(mapped.nativeDetail().orElseThrow().description()).isEqualTo("app error (wCode 1001)");
    }

    @Test
    void theCallSpecificCodesAreTheOnesHResultNames() {
        assertThat(HResult.of(ComErrors.ERROR_INVALID_FUNCTION)).isEqualTo(
                HResult.HRESULT_FROM_WIN32_ERROR_INVALID_FUNCTION);
        assertThat(HResult.of(ComErrors.RPC_E_DISCONNECTED)).isEqualTo(HResult.RPC_E_DISCONNECTED);
    }

    @Test
    void unknownCodesKeepTheirCodeAndAGeneratedName() {
        RecorderException unknown = ComErrors.map(new COMException("x", new HRESULT(0x8004DEAD)),
                Imapi2Call.ACQUIRE_EXCLUSIVE_ACCESS, REC);
        assertThat(unknown.hresult().name()).isEqualTo("0x8004DEAD");
        RecorderException win32 = ComErrors.map(new COMException("x", new HRESULT(0x80070020)),
                Imapi2Call.ACQUIRE_EXCLUSIVE_ACCESS, REC);
        assertThat(win32.hresult().name()).isEqualTo("HRESULT_FROM_WIN32(32)");
        assertThat(win32.getMessage()).startsWith("0x80070020 HRESULT_FROM_WIN32(32): "
                + "IDiscRecorder2::AcquireExclusiveAccess (vtable slot 9, DISPID 0x102) failed on recorder REC-A");
    }

    @Test
    void aReturnedHresultMapsTheSameWay() {
        RecorderException changedMode = ComErrors.map(0x80010106, Imapi2Call.CO_INITIALIZE_EX, null);
        assertThat(changedMode).isInstanceOf(NativeRecorderException.class);
        assertThat(changedMode.hresult().name()).isEqualTo("RPC_E_CHANGED_MODE");
        assertThat(changedMode.nativeDetail().orElseThrow().source())
                .isEqualTo("CoInitializeEx(COINIT_APARTMENTTHREADED)");
        assertThat(ComErrors.map(0x80070037, Imapi2Call.INITIALIZE_DISC_RECORDER, REC))
                .isInstanceOf(RecorderRemovedException.class);
    }

    @ParameterizedTest
    @EnumSource(Imapi2Call.class)
    void anAlreadyTypedFailurePassesThroughUnchanged(Imapi2Call call) {
        RecorderException typed = new RecorderRemovedException("gone", REC);
        assertThat(ComErrors.map(typed, call, REC)).isSameAs(typed);
    }

    @Test
    void anExceptionThatIsNotComBecomesEFailWithItsText() {
        RecorderException mapped = ComErrors.map(new IllegalStateException("proxy broke"), Imapi2Call.COUNT, null);
        assertThat(mapped).isInstanceOf(NativeRecorderException.class);
        assertThat(mapped.hresult().name()).isEqualTo("E_FAIL");
        assertThat(mapped.nativeDetail().orElseThrow().description())
                .isEqualTo("java.lang.IllegalStateException: proxy broke");
    }
}
