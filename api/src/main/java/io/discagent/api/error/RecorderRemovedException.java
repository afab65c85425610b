package io.discagent.api.error;

import io.discagent.api.RecorderId;
import org.jspecify.annotations.Nullable;

/**
 * The recorder does not exist or has been removed (unplugged, or gone from the system): an unknown recorder id, or
 * a recorder that left while it was held or awaited. {@code HRESULT_FROM_WIN32(ERROR_DEV_NOT_EXIST)} means both, so
 * both are this one type.
 *
 * <p>Default HRESULT: {@link HResult#HRESULT_FROM_WIN32_ERROR_DEV_NOT_EXIST}.
 */
public final class RecorderRemovedException extends NonTransientRecorderException {

    private static final long serialVersionUID = 1L;

    /**
     * @param hresult the HRESULT the failure carries
     * @param message what happened
     * @param recorder the recorder concerned, if any
     * @param owner the holder of the recorder at the time, if known
     * @param nativeDetail what the operating system reported, if anything
     * @param cause the underlying exception, if any
     */
    public RecorderRemovedException(HResult hresult, String message, @Nullable RecorderId recorder, @Nullable String owner,
            @Nullable NativeDetail nativeDetail, @Nullable Throwable cause) {
        super(hresult, message, recorder, owner, nativeDetail, cause);
    }

    /**
     * @param message what happened
     * @param recorder the recorder concerned, if any
     */
    public RecorderRemovedException(String message, @Nullable RecorderId recorder) {
        this(RecorderExceptions.defaultCode(RecorderRemovedException.class), message, recorder, null, null, null);
    }
}
