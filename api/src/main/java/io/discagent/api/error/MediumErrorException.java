package io.discagent.api.error;

import io.discagent.api.RecorderId;
import org.jspecify.annotations.Nullable;

/**
 * The medium (or the drive) failed while it was written or read back: a MEDIUM ERROR or HARDWARE ERROR from the
 * drive, whose sense data (key, ASC, ASCQ) the native detail carries, or a disc whose content did not verify. A
 * write-once medium that failed this way is not worth another try.
 *
 * <p>Default HRESULT: {@link HResult#E_IMAPI_UNEXPECTED_RESPONSE_FROM_DEVICE}; a failed verification carries
 * {@code E_IMAPI_BURN_VERIFICATION_FAILED}.
 */
public final class MediumErrorException extends NonTransientRecorderException {

    private static final long serialVersionUID = 1L;

    /**
     * @param hresult the HRESULT the failure carries
     * @param message what happened
     * @param recorder the recorder concerned, if any
     * @param owner the holder of the recorder at the time, if known
     * @param nativeDetail what the operating system reported, if anything
     * @param cause the underlying exception, if any
     */
    public MediumErrorException(HResult hresult, String message, @Nullable RecorderId recorder,
            @Nullable String owner, @Nullable NativeDetail nativeDetail, @Nullable Throwable cause) {
        super(hresult, message, recorder, owner, nativeDetail, cause);
    }

    /**
     * @param message what happened
     * @param recorder the recorder concerned, if any
     */
    public MediumErrorException(String message, @Nullable RecorderId recorder) {
        this(RecorderExceptions.defaultCode(MediumErrorException.class), message, recorder, null, null, null);
    }
}
