package io.discagent.api.error;

import io.discagent.api.RecorderId;
import org.jspecify.annotations.Nullable;

/**
 * The recorder is exclusively held by another client (IMAPI2 `E_IMAPI_RECORDER_LOCKED`, or `E_ACCESSDENIED` from a driver). {@link #owner()} names the holder when it is known.
 *
 * <p>Default HRESULT: {@link HResult#E_IMAPI_RECORDER_LOCKED}.
 */
public final class RecorderLockedException extends TransientRecorderException {

    private static final long serialVersionUID = 1L;

    /**
     * @param hresult the HRESULT the failure carries
     * @param message what happened
     * @param recorder the recorder concerned, if any
     * @param owner the holder of the recorder at the time, if known
     * @param nativeDetail what the operating system reported, if anything
     * @param cause the underlying exception, if any
     */
    public RecorderLockedException(HResult hresult, String message, @Nullable RecorderId recorder, @Nullable String owner,
            @Nullable NativeDetail nativeDetail, @Nullable Throwable cause) {
        super(hresult, message, recorder, owner, nativeDetail, cause, false);
    }

    /**
     * @param message what happened
     * @param recorder the recorder concerned, if any
     */
    public RecorderLockedException(String message, @Nullable RecorderId recorder) {
        this(RecorderExceptions.defaultCode(RecorderLockedException.class), message, recorder, null, null, null);
    }

    /**
     * @param message what happened
     * @param recorder the recorder concerned
     * @param owner the holder, if known
     */
    public RecorderLockedException(String message, @Nullable RecorderId recorder, @Nullable String owner) {
        this(RecorderExceptions.defaultCode(RecorderLockedException.class), message, recorder, owner, null, null);
    }

    /**
     * The same failure, naming the holder.
     *
     * @param owner the holder, such as a session's client name or {@code wodim (pid 4242)}; {@code null} for none
     * @return a new exception with the same HRESULT, message, recorder, native detail and cause, and this owner
     */
    public RecorderLockedException withOwner(@Nullable String owner) {
        return new RecorderLockedException(hresult(), detailMessage(), recorder().orElse(null), owner,
                nativeDetail().orElse(null), getCause());
    }
}
