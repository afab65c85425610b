package io.discagent.api.error;

import io.discagent.api.RecorderId;
import org.jspecify.annotations.Nullable;

/**
 * The one place that turns an HRESULT into the matching exception type: exact codes first, then
 * {@link NativeRecorderException} for everything else. Backends call it after their own native-code mapping
 * (errno or COM scode to HRESULT), so every code reaches callers as the same type on every platform.
 */
public final class RecorderExceptions {

    private RecorderExceptions() {
    }

    /**
     * Creates the exception for an HRESULT.
     *
     * @param hresult the HRESULT
     * @param message what happened
     * @param recorder the recorder concerned, if any
     * @param owner the holder at the time, if known
     * @param nativeDetail what the operating system said, if anything
     * @param cause the underlying exception, if any
     * @return the typed exception
     */
    public static RecorderException create(HResult hresult, String message, @Nullable RecorderId recorder,
            @Nullable String owner, @Nullable NativeDetail nativeDetail, @Nullable Throwable cause) {
        switch (hresult.code()) {
            case 0xC0AA0210:
                return new RecorderLockedException(hresult, message, recorder, owner, nativeDetail, cause);
            case 0xC0AA020D:
                return new CommandTimeoutException(hresult, message, recorder, owner, nativeDetail, cause);
            case 0x800705B4:
                return new AcquireTimeoutException(hresult, message, recorder, owner, nativeDetail, cause);
            case 0x80070718:
                return new PendingAcquireLimitException(hresult, message, recorder, owner, nativeDetail, cause);
            case 0xC0AA0205:
            case 0xC0AA0206:
            case 0xC0AA0207:
                return new DeviceNotReadyException(hresult, message, recorder, owner, nativeDetail, cause);
            case 0x8007006F:
                return new EventOverflowException(hresult, message, recorder, owner, nativeDetail, cause);
            case 0xC0AA0211:
                return new InvalidClientNameException(hresult, message, recorder, owner, nativeDetail, cause);
            case 0x80070057:
                return new InvalidArgumentException(hresult, message, recorder, owner, nativeDetail, cause);
            case 0x80070037:
                return new RecorderRemovedException(hresult, message, recorder, owner, nativeDetail, cause);
            case 0x80070006:
                return new InvalidHandleException(hresult, message, recorder, owner, nativeDetail, cause);
            case 0x80070001:
                return new LockNotHeldException(hresult, message, recorder, owner, nativeDetail, cause);
            case 0x80070016:
                return new VolumeMountedException(hresult, message, recorder, owner, nativeDetail, cause);
            case 0x80070005:
                return new AccessDeniedException(hresult, message, recorder, owner, nativeDetail, cause);
            case 0x80010108:
                return new SessionClosedException(hresult, message, recorder, owner, nativeDetail, cause);
            case 0xC0AA0002:
                return new RequestCancelledException(hresult, message, recorder, owner, nativeDetail, cause);
            default:
                return new NativeRecorderException(hresult, message, recorder, owner, nativeDetail, cause);
        }
    }

    /**
     * Creates the exception for an HRESULT code.
     *
     * @param code the HRESULT code
     * @param message what happened
     * @param recorder the recorder concerned, if any
     * @return the typed exception
     */
    public static RecorderException create(int code, String message, @Nullable RecorderId recorder) {
        return create(HResult.of(code), message, recorder, null, null, null);
    }

    /**
     * Whether the failure means the device or its handle is gone for good: {@code ERROR_DEV_NOT_EXIST} or
     * {@code ERROR_INVALID_HANDLE}. The agent drops its state for the recorder when it sees one.
     */
    public static boolean isDeviceGone(Throwable error) {
        return error instanceof RecorderRemovedException || error instanceof InvalidHandleException;
    }
}
