package io.discagent.api.error;

import io.discagent.api.RecorderId;
import org.jspecify.annotations.Nullable;

/**
 * The request was cancelled because the agent is shutting down.
 *
 * <p>Default HRESULT: {@link HResult#E_IMAPI_REQUEST_CANCELLED}.
 */
public final class RequestCancelledException extends NonTransientRecorderException {

    private static final long serialVersionUID = 1L;

    /**
     * @param hresult the HRESULT the failure carries
     * @param message what happened
     * @param recorder the recorder concerned, if any
     * @param owner the holder of the recorder at the time, if known
     * @param nativeDetail what the operating system reported, if anything
     * @param cause the underlying exception, if any
     */
    public RequestCancelledException(HResult hresult, String message, @Nullable RecorderId recorder, @Nullable String owner,
            @Nullable NativeDetail nativeDetail, @Nullable Throwable cause) {
        super(hresult, message, recorder, owner, nativeDetail, cause);
    }

    /**
     * @param message what happened
     * @param recorder the recorder concerned, if any
     */
    public RequestCancelledException(String message, @Nullable RecorderId recorder) {
        this(RecorderExceptions.defaultCode(RequestCancelledException.class), message, recorder, null, null, null);
    }
}
