package io.discagent.api.error;

import io.discagent.api.RecorderId;
import org.jspecify.annotations.Nullable;

/** A failure that trying again will not cure: the recorder is gone, the input is invalid, the session is closed. */
public abstract sealed class NonTransientRecorderException extends RecorderException permits
        InvalidClientNameException, InvalidArgumentException, RecorderRemovedException, InvalidHandleException,
        LockNotHeldException, VolumeMountedException, AccessDeniedException,
        SessionClosedException, RequestCancelledException, MediaNotWritableException, MediaTooSmallException,
        MediumErrorException, BurnNotSupportedException, NativeRecorderException {

    private static final long serialVersionUID = 1L;

    NonTransientRecorderException(HResult hresult, String message, @Nullable RecorderId recorder,
            @Nullable String owner, @Nullable NativeDetail nativeDetail, @Nullable Throwable cause) {
        super(hresult, message, recorder, owner, nativeDetail, cause, true);
    }

    @Override
    public final boolean isTransient() {
        return false;
    }
}
