package io.discagent.api.error;

import io.discagent.api.RecorderId;
import org.jspecify.annotations.Nullable;

/**
 * A release was asked for a recorder whose lock count in this session is zero. Nothing native was called and the count stays at zero. The HRESULT follows the Windows driver: {@code HRESULT_FROM_WIN32(ERROR_INVALID_FUNCTION)} when nobody holds the recorder, {@code HRESULT_FROM_WIN32(ERROR_INVALID_HANDLE)} when another client does.
 *
 * <p>Default HRESULT: {@link HResult#HRESULT_FROM_WIN32_ERROR_INVALID_FUNCTION}.
 */
public final class LockNotHeldException extends NonTransientRecorderException {

    private static final long serialVersionUID = 1L;

    /**
     * @param hresult the HRESULT the failure carries
     * @param message what happened
     * @param recorder the recorder concerned, if any
     * @param owner the holder of the recorder at the time, if known
     * @param nativeDetail what the operating system reported, if anything
     * @param cause the underlying exception, if any
     */
    public LockNotHeldException(HResult hresult, String message, @Nullable RecorderId recorder, @Nullable String owner,
            @Nullable NativeDetail nativeDetail, @Nullable Throwable cause) {
        super(hresult, message, recorder, owner, nativeDetail, cause);
    }

    /**
     * @param message what happened
     * @param recorder the recorder concerned, if any
     */
    public LockNotHeldException(String message, @Nullable RecorderId recorder) {
        this(RecorderExceptions.defaultCode(LockNotHeldException.class), message, recorder, null, null, null);
    }
}
