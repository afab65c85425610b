package io.discagent.api.error;

import io.discagent.api.RecorderId;
import org.jspecify.annotations.Nullable;

/**
 * A burn is already running on the recorder: one burn at a time per recorder. Try again when it has ended.
 *
 * <p>Default HRESULT: {@link HResult#E_IMAPI_DF2DATA_WRITE_IN_PROGRESS}.
 */
public final class WriteInProgressException extends TransientRecorderException {

    private static final long serialVersionUID = 1L;

    /**
     * @param hresult the HRESULT the failure carries
     * @param message what happened
     * @param recorder the recorder concerned, if any
     * @param owner the holder of the recorder at the time, if known
     * @param nativeDetail what the operating system reported, if anything
     * @param cause the underlying exception, if any
     */
    public WriteInProgressException(HResult hresult, String message, @Nullable RecorderId recorder,
            @Nullable String owner, @Nullable NativeDetail nativeDetail, @Nullable Throwable cause) {
        super(hresult, message, recorder, owner, nativeDetail, cause, true);
    }

    /**
     * @param message what happened
     * @param recorder the recorder concerned, if any
     */
    public WriteInProgressException(String message, @Nullable RecorderId recorder) {
        this(RecorderExceptions.defaultCode(WriteInProgressException.class), message, recorder, null, null, null);
    }
}
