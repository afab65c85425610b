package io.discagent.api.error;

import io.discagent.api.RecorderId;
import org.jspecify.annotations.Nullable;

/**
 * A file system is mounted on the recorder and the acquire did not ask for {@code force}.
 *
 * <p>Default HRESULT: {@link HResult#HRESULT_FROM_WIN32_ERROR_BAD_COMMAND}.
 */
public final class VolumeMountedException extends NonTransientRecorderException {

    private static final long serialVersionUID = 1L;

    /**
     * @param hresult the HRESULT the failure carries
     * @param message what happened
     * @param recorder the recorder concerned, if any
     * @param owner the holder of the recorder at the time, if known
     * @param nativeDetail what the operating system reported, if anything
     * @param cause the underlying exception, if any
     */
    public VolumeMountedException(HResult hresult, String message, @Nullable RecorderId recorder, @Nullable String owner,
            @Nullable NativeDetail nativeDetail, @Nullable Throwable cause) {
        super(hresult, message, recorder, owner, nativeDetail, cause);
    }

    /**
     * @param message what happened
     * @param recorder the recorder concerned, if any
     */
    public VolumeMountedException(String message, @Nullable RecorderId recorder) {
        this(RecorderExceptions.defaultCode(VolumeMountedException.class), message, recorder, null, null, null);
    }
}
