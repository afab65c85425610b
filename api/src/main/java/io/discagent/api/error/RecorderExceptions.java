package io.discagent.api.error;

import io.discagent.api.RecorderId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The one table of discagent's failure types: each row ties an {@link HResult} to the exception type that carries
 * it. Every exception is built from it ({@link #create}); every exception's default HRESULT is read from it
 * ({@link #defaultCode}); the service maps the types to HTTP problems from it. One code has one type; a type may
 * have several codes (the three "not ready" codes). A code without a row becomes a {@link NativeRecorderException}.
 *
 * <p>Adding a failure: write its class (in the {@code permits} of its transient or non-transient branch), add its
 * row here, and its problem kind in the service. A test walks the permitted subclasses of {@link RecorderException}
 * and fails on any type without a row.
 *
 * <p>Backends call {@link #create} after their own native-code mapping (errno or COM scode to HRESULT), so every
 * code reaches callers as the same type on every platform.
 */
public final class RecorderExceptions {

    /** Builds an exception of one type. */
    @FunctionalInterface
    public interface Factory {
        /**
         * Creates the exception.
         *
         * @param hresult the HRESULT it carries
         * @param message what happened
         * @param recorder the recorder concerned, or {@code null}
         * @param owner the holder at the time, or {@code null} if not known
         * @param nativeDetail what the operating system said, or {@code null}
         * @param cause the underlying exception, or {@code null}
         * @return the exception
         */
        RecorderException create(HResult hresult, String message, @Nullable RecorderId recorder,
                @Nullable String owner, @Nullable NativeDetail nativeDetail, @Nullable Throwable cause);
    }

    /**
     * One row of the table.
     *
     * @param code the HRESULT
     * @param type the exception type that carries it
     * @param factory how to build one
     */
    public record Row(HResult code, Class<? extends RecorderException> type, Factory factory) {
    }

    private static final Map<Integer, Row> BY_CODE = new LinkedHashMap<>();
    private static final Map<Class<? extends RecorderException>, HResult> DEFAULT_CODE = new LinkedHashMap<>();

    static {
        // transient: trying again may succeed
        row(HResult.E_IMAPI_RECORDER_LOCKED, RecorderLockedException.class, RecorderLockedException::new);
        row(HResult.E_IMAPI_RECORDER_COMMAND_TIMEOUT, CommandTimeoutException.class, CommandTimeoutException::new);
        row(HResult.HRESULT_FROM_WIN32_ERROR_TIMEOUT, AcquireTimeoutException.class, AcquireTimeoutException::new);
        row(HResult.HRESULT_FROM_WIN32_ERROR_NOT_ENOUGH_QUOTA, PendingAcquireLimitException.class,
                PendingAcquireLimitException::new);
        row(HResult.E_IMAPI_RECORDER_MEDIA_BECOMING_READY, DeviceNotReadyException.class,
                DeviceNotReadyException::new);
        row(HResult.E_IMAPI_RECORDER_MEDIA_FORMAT_IN_PROGRESS, DeviceNotReadyException.class,
                DeviceNotReadyException::new);
        row(HResult.E_IMAPI_RECORDER_MEDIA_BUSY, DeviceNotReadyException.class, DeviceNotReadyException::new);
        row(HResult.HRESULT_FROM_WIN32_ERROR_BUFFER_OVERFLOW, EventOverflowException.class,
                EventOverflowException::new);
        row(HResult.E_IMAPI_DF2DATA_WRITE_IN_PROGRESS, WriteInProgressException.class, WriteInProgressException::new);
        // non-transient: trying again will not cure it
        row(HResult.E_IMAPI_RECORDER_CLIENT_NAME_IS_NOT_VALID, InvalidClientNameException.class,
                InvalidClientNameException::new);
        row(HResult.E_INVALIDARG, InvalidArgumentException.class, InvalidArgumentException::new);
        row(HResult.HRESULT_FROM_WIN32_ERROR_DEV_NOT_EXIST, RecorderRemovedException.class,
                RecorderRemovedException::new);
        row(HResult.HRESULT_FROM_WIN32_ERROR_INVALID_HANDLE, InvalidHandleException.class,
                InvalidHandleException::new);
        row(HResult.HRESULT_FROM_WIN32_ERROR_INVALID_FUNCTION, LockNotHeldException.class, LockNotHeldException::new);
        row(HResult.HRESULT_FROM_WIN32_ERROR_BAD_COMMAND, VolumeMountedException.class, VolumeMountedException::new);
        row(HResult.E_ACCESSDENIED, AccessDeniedException.class, AccessDeniedException::new);
        row(HResult.RPC_E_DISCONNECTED, SessionClosedException.class, SessionClosedException::new);
        row(HResult.E_IMAPI_REQUEST_CANCELLED, RequestCancelledException.class, RequestCancelledException::new);
        // burning: the medium, the image, the writer
        row(HResult.E_IMAPI_DF2DATA_MEDIA_IS_NOT_SUPPORTED, MediaNotWritableException.class,
                MediaNotWritableException::new);
        row(HResult.E_IMAPI_DF2DATA_MEDIA_NOT_BLANK, MediaNotWritableException.class, MediaNotWritableException::new);
        row(HResult.E_IMAPI_DF2DATA_INVALID_MEDIA_STATE, MediaNotWritableException.class,
                MediaNotWritableException::new);
        row(HResult.E_IMAPI_DF2DATA_STREAM_TOO_LARGE_FOR_CURRENT_MEDIA, MediaTooSmallException.class,
                MediaTooSmallException::new);
        row(HResult.E_IMAPI_UNEXPECTED_RESPONSE_FROM_DEVICE, MediumErrorException.class, MediumErrorException::new);
        row(HResult.E_IMAPI_BURN_VERIFICATION_FAILED, MediumErrorException.class, MediumErrorException::new);
        row(HResult.E_IMAPI_DF2DATA_RECORDER_NOT_SUPPORTED, BurnNotSupportedException.class,
                BurnNotSupportedException::new);
        row(HResult.E_IMAPI_DF2DATA_STREAM_NOT_SUPPORTED, BurnNotSupportedException.class,
                BurnNotSupportedException::new);
        row(HResult.E_FAIL, NativeRecorderException.class, NativeRecorderException::new);
    }

    private RecorderExceptions() {
    }

    private static void row(HResult code, Class<? extends RecorderException> type, Factory factory) {
        if (BY_CODE.put(code.code(), new Row(code, type, factory)) != null) {
            throw new IllegalStateException("two rows for " + code);
        }
        DEFAULT_CODE.putIfAbsent(type, code);
    }

    /**
     * Every row, in table order.
     *
     * @return an unmodifiable copy of the table
     */
    public static List<Row> rows() {
        return Collections.unmodifiableList(new ArrayList<>(BY_CODE.values()));
    }

    /**
     * The type that carries {@code code}.
     *
     * @param code the HRESULT code
     * @return its row's type, or {@link NativeRecorderException} for a code without a row
     */
    public static Class<? extends RecorderException> typeOf(int code) {
        Row row = BY_CODE.get(code);
        return row == null ? NativeRecorderException.class : row.type();
    }

    /**
     * The HRESULT an exception of {@code type} carries when none is given: the first row of that type.
     *
     * @param type an exception type
     * @return the HRESULT of the first row of that type
     * @throws IllegalStateException for a type without a row (a test makes sure there is none)
     */
    public static HResult defaultCode(Class<? extends RecorderException> type) {
        HResult code = DEFAULT_CODE.get(type);
        if (code == null) {
            throw new IllegalStateException(type.getSimpleName() + " has no row in RecorderExceptions");
        }
        return code;
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
        Row row = BY_CODE.get(hresult.code());
        Factory factory = row == null ? NativeRecorderException::new : row.factory();
        return factory.create(hresult, message, recorder, owner, nativeDetail, cause);
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
     * Whether the failure means the device is gone for good ({@code ERROR_DEV_NOT_EXIST}): the agent drops the
     * recorder. A dead handle ({@code ERROR_INVALID_HANDLE}) is not a dead device: the handle is opened again.
     *
     * @param error a failure
     * @return {@code true} if it is a {@link RecorderRemovedException}
     */
    public static boolean isDeviceGone(Throwable error) {
        return error instanceof RecorderRemovedException;
    }

    /**
     * Whether the failure means the device is gone or its handle died: a backend drops what it knows of it.
     *
     * @param error a failure
     * @return {@code true} if it is a {@link RecorderRemovedException} or an {@link InvalidHandleException}
     */
    public static boolean isDeviceOrHandleGone(Throwable error) {
        return error instanceof RecorderRemovedException || error instanceof InvalidHandleException;
    }
}
