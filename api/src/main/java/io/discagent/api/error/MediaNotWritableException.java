package io.discagent.api.error;

import io.discagent.api.RecorderId;
import org.jspecify.annotations.Nullable;

/**
 * The medium cannot take the burn: there is none, it is read-only, write-protected, closed, or not blank where
 * an image needs a blank (or overwritable) medium. The burn was refused before anything was written.
 *
 * <p>Default HRESULT: {@link HResult#E_IMAPI_DF2DATA_MEDIA_IS_NOT_SUPPORTED}; also
 * {@code E_IMAPI_DF2DATA_MEDIA_NOT_BLANK} and {@code E_IMAPI_DF2DATA_INVALID_MEDIA_STATE}. A burn refused for no
 * disc, an incompatible or a write-protected one carries {@code E_IMAPI_RECORDER_MEDIA_NO_MEDIA},
 * {@code E_IMAPI_RECORDER_MEDIA_INCOMPATIBLE} or {@code E_IMAPI_RECORDER_MEDIA_WRITE_PROTECTED}; those codes are not
 * this type's in {@link RecorderExceptions}' table, because outside a burn (an acquire, a media read) they are the
 * recorder's own failures ({@link NativeRecorderException}).
 */
public final class MediaNotWritableException extends NonTransientRecorderException {

    private static final long serialVersionUID = 1L;

    /**
     * @param hresult the HRESULT the failure carries
     * @param message what happened
     * @param recorder the recorder concerned, if any
     * @param owner the holder of the recorder at the time, if known
     * @param nativeDetail what the operating system reported, if anything
     * @param cause the underlying exception, if any
     */
    public MediaNotWritableException(HResult hresult, String message, @Nullable RecorderId recorder,
            @Nullable String owner, @Nullable NativeDetail nativeDetail, @Nullable Throwable cause) {
        super(hresult, message, recorder, owner, nativeDetail, cause);
    }

    /**
     * @param message what happened
     * @param recorder the recorder concerned, if any
     */
    public MediaNotWritableException(String message, @Nullable RecorderId recorder) {
        this(RecorderExceptions.defaultCode(MediaNotWritableException.class), message, recorder, null, null, null);
    }
}
