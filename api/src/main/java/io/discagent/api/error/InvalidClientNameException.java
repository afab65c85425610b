package io.discagent.api.error;

import io.discagent.api.RecorderId;
import org.jspecify.annotations.Nullable;

/**
 * The client name breaks the IMAPI2 rules: 1 to 63 characters of {@code A-Z a-z 0-9}, space, {@code . , : ; - _}.
 *
 * <p>Default HRESULT: {@link HResult#E_IMAPI_RECORDER_CLIENT_NAME_IS_NOT_VALID}.
 */
public final class InvalidClientNameException extends NonTransientRecorderException {

    private static final long serialVersionUID = 1L;

    /**
     * @param hresult the HRESULT the failure carries
     * @param message what happened
     * @param recorder the recorder concerned, if any
     * @param owner the holder of the recorder at the time, if known
     * @param nativeDetail what the operating system reported, if anything
     * @param cause the underlying exception, if any
     */
    public InvalidClientNameException(HResult hresult, String message, @Nullable RecorderId recorder, @Nullable String owner,
            @Nullable NativeDetail nativeDetail, @Nullable Throwable cause) {
        super(hresult, message, recorder, owner, nativeDetail, cause);
    }

    /**
     * @param message what happened
     * @param recorder the recorder concerned, if any
     */
    public InvalidClientNameException(String message, @Nullable RecorderId recorder) {
        this(RecorderExceptions.defaultCode(InvalidClientNameException.class), message, recorder, null, null, null);
    }
}
