package io.discagent.api.error;

import io.discagent.api.RecorderId;
import org.jspecify.annotations.Nullable;

/**
 * The image is larger than the free capacity of the medium. The burn was refused before anything was written.
 *
 * <p>Default HRESULT: {@link HResult#E_IMAPI_DF2DATA_STREAM_TOO_LARGE_FOR_CURRENT_MEDIA}.
 */
public final class MediaTooSmallException extends NonTransientRecorderException {

    private static final long serialVersionUID = 1L;

    /**
     * @param hresult the HRESULT the failure carries
     * @param message what happened
     * @param recorder the recorder concerned, if any
     * @param owner the holder of the recorder at the time, if known
     * @param nativeDetail what the operating system reported, if anything
     * @param cause the underlying exception, if any
     */
    public MediaTooSmallException(HResult hresult, String message, @Nullable RecorderId recorder,
            @Nullable String owner, @Nullable NativeDetail nativeDetail, @Nullable Throwable cause) {
        super(hresult, message, recorder, owner, nativeDetail, cause);
    }

    /**
     * @param message what happened
     * @param recorder the recorder concerned, if any
     */
    public MediaTooSmallException(String message, @Nullable RecorderId recorder) {
        this(RecorderExceptions.defaultCode(MediaTooSmallException.class), message, recorder, null, null, null);
    }
}
