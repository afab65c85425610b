package io.discagent.agent.backend.windows;

import io.discagent.agent.backend.windows.Imapi2.DiscRecorder;
import io.discagent.agent.spi.BackendRecorder;
import io.discagent.agent.spi.BurnControl;
import io.discagent.agent.spi.BurnPlan;
import io.discagent.api.MediaInfo;
import io.discagent.api.burn.BurnPhase;
import java.time.Duration;
import io.discagent.api.RecorderId;
import io.discagent.api.error.InvalidHandleException;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RecorderExceptions;
import io.discagent.api.error.RecorderLockedException;
import org.jspecify.annotations.Nullable;

/**
 * One recorder's lasting {@code MsftDiscRecorder2}: the agent's only native lock holder for that device. Created by
 * {@link WindowsBackend#open} on the recorder's native worker, and called and released there only (each method checks
 * its thread, as the apartment would).
 *
 * <p>When {@code AcquireExclusiveAccess} fails because someone else holds the recorder, it asks
 * {@code ExclusiveAccessOwner} who does, as IMAPI2's documentation says to. When any call reports the device gone or
 * its handle dead, closing this object makes the backend forget the device and enumerate again.
 */
final class WindowsRecorder implements BackendRecorder {

    private final WindowsBackend backend;
    private final Apartment apartment;
    private final DiscRecorder recorder;
    private final RecorderId id;
    private boolean deviceGone;
    private boolean closed;

    WindowsRecorder(WindowsBackend backend, Apartment apartment, DiscRecorder recorder, RecorderId id) {
        this.backend = backend;
        this.apartment = apartment;
        this.recorder = recorder;
        this.id = id;
    }

    @Override
    public void acquireExclusiveAccess(boolean force, String clientName) {
        checkUsable();
        try {
            recorder.acquireExclusiveAccess(force, clientName);
        } catch (RuntimeException e) {
            RecorderException failure = failed(e, Imapi2Call.ACQUIRE_EXCLUSIVE_ACCESS);
            throw failure instanceof RecorderLockedException locked ? namingOwner(locked)
                    : failure;
        }
    }

    /** The same failure with {@code ExclusiveAccessOwner}'s answer, when there is one. */
    private RecorderLockedException namingOwner(RecorderLockedException locked) {
        String owner;
        try {
            owner = recorder.exclusiveAccessOwner();
        } catch (RuntimeException e) {
            locked.addSuppressed(failed(e, Imapi2Call.EXCLUSIVE_ACCESS_OWNER));
            return locked;
        }
        return owner == null || owner.isBlank() ? locked : locked.withOwner(owner);
    }

    @Override
    public void releaseExclusiveAccess() {
        checkUsable();
        try {
            recorder.releaseExclusiveAccess();
        } catch (RuntimeException e) {
            throw failed(e, Imapi2Call.RELEASE_EXCLUSIVE_ACCESS);
        }
    }

    /**
     * Declines: IMAPI2 cannot pass its lock to another client name. {@code ExclusiveAccessOwner} must name the agent's
     * next client, but {@code cdrom.sys} stores the caller name when the lock is taken and refuses a second lock while
     * one is held (from any handle), and a further {@code AcquireExclusiveAccess} on this object only adds to its count.
     * So the agent calls {@code ReleaseExclusiveAccess} and {@code AcquireExclusiveAccess(force, clientName)}, back to
     * back in one task on the apartment thread, with no message pumped and no hop to the event loop in between: the
     * window in which another process could lock the drive is the time between the two IOCTLs. If one does, the
     * acquire fails with {@code E_IMAPI_RECORDER_LOCKED} naming it, and the agent's next client waits or retries like
     * any client that meets an outside holder.
     */
    @Override
    public boolean handOverExclusiveAccess(String clientName) {
        return false;
    }

    /** {@code ExclusiveAccessOwner}; {@code null} when nobody holds the recorder. */
    @Override
    public @Nullable String exclusiveAccessOwner() {
        checkUsable();
        String owner;
        try {
            owner = recorder.exclusiveAccessOwner();
        } catch (RuntimeException e) {
            throw failed(e, Imapi2Call.EXCLUSIVE_ACCESS_OWNER);
        }
        return owner == null || owner.isBlank() ? null : owner;
    }

    /** The medium, read through a short-lived {@code MsftDiscFormat2Data} with this recorder ({@link WindowsBurn}). */
    @Override
    public MediaInfo media() {
        checkUsable();
        try {
            return WindowsBurn.media(apartment, recorder, id);
        } catch (RecorderException e) {
            if (RecorderExceptions.isDeviceOrHandleGone(e)) {
                deviceGone = true;
            }
            throw e;
        }
    }

    /** Burns with IMAPI2's data writer on this apartment; blocks the worker until {@code Write} returns. */
    @Override
    public void burn(BurnPlan plan, BurnControl control) {
        checkUsable();
        WindowsBurn.burn(apartment, recorder, id, plan, new BurnControl() {
            @Override
            public void progress(BurnPhase phase, long bytesDone, long bytesPerSecond, int bufferPercent,
                    @Nullable Duration remaining) {
                control.progress(phase, bytesDone, bytesPerSecond, bufferPercent, remaining);
            }

            @Override
            public void finished(@Nullable RecorderException failure) {
                if (failure != null && RecorderExceptions.isDeviceOrHandleGone(failure)) {
                    deviceGone = true;
                }
                control.finished(failure);
            }

            @Override
            public boolean cancelRequested() {
                return control.cancelRequested();
            }

            @Override
            public void onCancel(Runnable hook) {
                control.onCancel(hook);
            }

            @Override
            public void onWorkerAfter(Duration delay, Runnable task) {
                control.onWorkerAfter(delay, task);
            }
        });
    }

    /** IMAPI2 verifies a burn itself when asked ({@code IBurnVerification}, full): the agent does not read back. */
    @Override
    public boolean verifiesWhileBurning() {
        return true;
    }

    /** Releases the object (dropping a lock it still holds); after a dead handle, the backend enumerates again. */
    @Override
    public void close() {
        apartment.checkThread();
        if (closed) {
            return;
        }
        closed = true;
        apartment.release(recorder);
        if (deviceGone) {
            backend.forget(id.value(), true);
        }
    }

    private void checkUsable() {
        apartment.checkThread();
        if (closed) {
            throw new InvalidHandleException("the recorder object of " + id + " is released", id);
        }
    }

    private RecorderException failed(RuntimeException e, Imapi2Call call) {
        RecorderException failure = ComErrors.map(e, call, id);
        if (RecorderExceptions.isDeviceOrHandleGone(failure)) {
            deviceGone = true;
        }
        return failure;
    }
}
