package io.discagent.api.error;

import io.discagent.api.RecorderId;
import org.jspecify.annotations.Nullable;

/**
 * The session (or the whole agent) was closed; its locks were released and its pending requests failed with this error.
 *
 * <p>Default HRESULT: {@link HResult#RPC_E_DISCONNECTED}.
 */
public final class SessionClosedException extends NonTransientRecorderException {

    private static final long serialVersionUID = 1L;

    /**
     * @param hresult the HRESULT the failure carries
     * @param message what happened
     * @param recorder the recorder concerned, if any
     * @param owner the holder of the recorder at the time, if known
     * @param nativeDetail what the operating system reported, if anything
     * @param cause the underlying exception, if any
     */
    public SessionClosedException(HResult hresult, String message, @Nullable RecorderId recorder, @Nullable String owner,
            @Nullable NativeDetail nativeDetail, @Nullable Throwable cause) {
        super(hresult, message, recorder, owner, nativeDetail, cause);
    }

    /**
     * @param message what happened
     * @param recorder the recorder concerned, if any
     */
    public SessionClosedException(String message, @Nullable RecorderId recorder) {
        this(RecorderExceptions.defaultCode(SessionClosedException.class), message, recorder, null, null, null);
    }
}
