package io.discagent.api.error;

import io.discagent.api.RecorderId;
import org.jspecify.annotations.Nullable;

/**
 * A native command did not return within the configured command timeout. The recorder's other callers and the other recorders are not affected.
 *
 * <p>Default HRESULT: {@link HResult#E_IMAPI_RECORDER_COMMAND_TIMEOUT}.
 */
public final class CommandTimeoutException extends TransientRecorderException {

    private static final long serialVersionUID = 1L;

    /**
     * @param hresult the HRESULT the failure carries
     * @param message what happened
     * @param recorder the recorder concerned, if any
     * @param owner the holder of the recorder at the time, if known
     * @param nativeDetail what the operating system reported, if anything
     * @param cause the underlying exception, if any
     */
    public CommandTimeoutException(HResult hresult, String message, @Nullable RecorderId recorder, @Nullable String owner,
            @Nullable NativeDetail nativeDetail, @Nullable Throwable cause) {
        super(hresult, message, recorder, owner, nativeDetail, cause, true);
    }

    /**
     * @param message what happened
     * @param recorder the recorder concerned, if any
     */
    public CommandTimeoutException(String message, @Nullable RecorderId recorder) {
        this(RecorderExceptions.defaultCode(CommandTimeoutException.class), message, recorder, null, null, null);
    }
}
