package io.discagent.api.error;

import io.discagent.api.RecorderId;
import org.jspecify.annotations.Nullable;

/**
 * An event subscriber did not request fast enough and its bounded buffer overflowed. The subscription ends with this error; subscribe again to receive the current state first and then live events.
 *
 * <p>Default HRESULT: {@link HResult#HRESULT_FROM_WIN32_ERROR_BUFFER_OVERFLOW}.
 */
public final class EventOverflowException extends TransientRecorderException {

    private static final long serialVersionUID = 1L;

    /**
     * @param hresult the HRESULT the failure carries
     * @param message what happened
     * @param recorder the recorder concerned, if any
     * @param owner the holder of the recorder at the time, if known
     * @param nativeDetail what the operating system reported, if anything
     * @param cause the underlying exception, if any
     */
    public EventOverflowException(HResult hresult, String message, @Nullable RecorderId recorder, @Nullable String owner,
            @Nullable NativeDetail nativeDetail, @Nullable Throwable cause) {
        super(hresult, message, recorder, owner, nativeDetail, cause, false);
    }

    /**
     * @param message what happened
     * @param recorder the recorder concerned, if any
     */
    public EventOverflowException(String message, @Nullable RecorderId recorder) {
        this(RecorderExceptions.defaultCode(EventOverflowException.class), message, recorder, null, null, null);
    }
}
