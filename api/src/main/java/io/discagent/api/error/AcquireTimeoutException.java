package io.discagent.api.error;

import io.discagent.api.RecorderId;
import org.jspecify.annotations.Nullable;

/**
 * An acquire request waited for its whole wait timeout without being granted. {@link #owner()} names the holder at that moment.
 *
 * <p>Default HRESULT: {@link HResult#HRESULT_FROM_WIN32_ERROR_TIMEOUT}.
 */
public final class AcquireTimeoutException extends TransientRecorderException {

    private static final long serialVersionUID = 1L;

    /**
     * @param hresult the HRESULT the failure carries
     * @param message what happened
     * @param recorder the recorder concerned, if any
     * @param owner the holder of the recorder at the time, if known
     * @param nativeDetail what the operating system reported, if anything
     * @param cause the underlying exception, if any
     */
    public AcquireTimeoutException(HResult hresult, String message, @Nullable RecorderId recorder, @Nullable String owner,
            @Nullable NativeDetail nativeDetail, @Nullable Throwable cause) {
        super(hresult, message, recorder, owner, nativeDetail, cause, false);
    }

    /**
     * @param message what happened
     * @param recorder the recorder concerned, if any
     */
    public AcquireTimeoutException(String message, @Nullable RecorderId recorder) {
        this(RecorderExceptions.defaultCode(AcquireTimeoutException.class), message, recorder, null, null, null);
    }
}
