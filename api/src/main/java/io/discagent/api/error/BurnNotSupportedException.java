package io.discagent.api.error;

import io.discagent.api.RecorderId;
import org.jspecify.annotations.Nullable;

/**
 * The recorder cannot burn this: the backend cannot write at all (its burning tool is not installed, and the
 * message names the package that provides it), the drive cannot write the medium, or the options ask for what the
 * medium or the tool cannot do (a simulated burn on a medium that has no test write). Also an image it cannot
 * write ({@code E_IMAPI_DF2DATA_STREAM_NOT_SUPPORTED}: empty, or not a whole number of 2048-byte sectors).
 *
 * <p>Default HRESULT: {@link HResult#E_IMAPI_DF2DATA_RECORDER_NOT_SUPPORTED}.
 */
public final class BurnNotSupportedException extends NonTransientRecorderException {

    private static final long serialVersionUID = 1L;

    /**
     * @param hresult the HRESULT the failure carries
     * @param message what happened
     * @param recorder the recorder concerned, if any
     * @param owner the holder of the recorder at the time, if known
     * @param nativeDetail what the operating system reported, if anything
     * @param cause the underlying exception, if any
     */
    public BurnNotSupportedException(HResult hresult, String message, @Nullable RecorderId recorder,
            @Nullable String owner, @Nullable NativeDetail nativeDetail, @Nullable Throwable cause) {
        super(hresult, message, recorder, owner, nativeDetail, cause);
    }

    /**
     * @param message what happened
     * @param recorder the recorder concerned, if any
     */
    public BurnNotSupportedException(String message, @Nullable RecorderId recorder) {
        this(RecorderExceptions.defaultCode(BurnNotSupportedException.class), message, recorder, null, null, null);
    }
}
