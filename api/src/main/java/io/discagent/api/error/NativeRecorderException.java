package io.discagent.api.error;

import io.discagent.api.RecorderId;
import org.jspecify.annotations.Nullable;

/**
 * Any other failure of a native call, with its HRESULT as the backend reported it (for example {@code E_FAIL}, {@code E_OUTOFMEMORY} or a media error).
 *
 * <p>Default HRESULT: {@link HResult#E_FAIL}.
 */
public final class NativeRecorderException extends NonTransientRecorderException {

    private static final long serialVersionUID = 1L;

    /**
     * @param hresult the HRESULT the failure carries
     * @param message what happened
     * @param recorder the recorder concerned, if any
     * @param owner the holder of the recorder at the time, if known
     * @param nativeDetail what the operating system reported, if anything
     * @param cause the underlying exception, if any
     */
    public NativeRecorderException(HResult hresult, String message, @Nullable RecorderId recorder, @Nullable String owner,
            @Nullable NativeDetail nativeDetail, @Nullable Throwable cause) {
        super(hresult, message, recorder, owner, nativeDetail, cause);
    }

    /**
     * @param message what happened
     * @param recorder the recorder concerned, if any
     */
    public NativeRecorderException(String message, @Nullable RecorderId recorder) {
        this(RecorderExceptions.defaultCode(NativeRecorderException.class), message, recorder, null, null, null);
    }
}
