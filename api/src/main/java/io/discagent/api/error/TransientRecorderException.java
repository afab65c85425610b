package io.discagent.api.error;

import io.discagent.api.RecorderId;
import org.jspecify.annotations.Nullable;

/** A failure that may not happen again: the recorder is locked, busy, or a command or wait timed out. */
public abstract sealed class TransientRecorderException extends RecorderException permits RecorderLockedException,
        CommandTimeoutException, AcquireTimeoutException, PendingAcquireLimitException, DeviceNotReadyException,
        EventOverflowException, WriteInProgressException {

    private static final long serialVersionUID = 1L;

    TransientRecorderException(HResult hresult, String message, @Nullable RecorderId recorder, @Nullable String owner,
            @Nullable NativeDetail nativeDetail, @Nullable Throwable cause, boolean writableStackTrace) {
        super(hresult, message, recorder, owner, nativeDetail, cause, writableStackTrace);
    }

    @Override
    public final boolean isTransient() {
        return true;
    }
}
