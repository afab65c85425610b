package io.discagent.agent.internal;

import io.discagent.agent.spi.BackendRecorder;
import io.discagent.agent.spi.RecorderBackend;
import io.discagent.agent.spi.RecorderDescriptor;
import io.discagent.api.RecorderId;
import io.discagent.api.error.InvalidHandleException;
import io.discagent.api.error.RecorderLockedException;
import io.discagent.api.error.RecorderRemovedException;
import java.lang.System.Logger.Level;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The backend's object for one recorder, confined to that recorder's native worker: every method checks that it
 * runs there. Holds the one native lock holder of the recorder (IMAPI2 locks by handle).
 *
 * <p>A dead handle is not a dead device: a call that fails with {@code HRESULT_FROM_WIN32(ERROR_INVALID_HANDLE)}
 * fails, and the handle is closed and opened again for the next call. Only {@code ERROR_DEV_NOT_EXIST} means the
 * recorder is gone.
 */
final class RecorderHandle {

    private static final System.Logger LOG = System.getLogger(RecorderHandle.class.getName());

    private final RecorderBackend backend;
    private final RecorderDescriptor descriptor;
    private final RecorderId id;
    private final NativeWorker worker;
    private @Nullable BackendRecorder recorder;

    RecorderHandle(RecorderBackend backend, RecorderDescriptor descriptor, NativeWorker worker) {
        this.backend = backend;
        this.descriptor = descriptor;
        this.id = RecorderId.of(descriptor.id());
        this.worker = worker;
    }

    /** Opens the backend recorder. */
    void open() {
        checkOnWorker();
        recorder = backend.open(descriptor);
    }

    /** The open backend recorder; a handle closed by an earlier failure is opened again first. */
    BackendRecorder get() {
        checkOnWorker();
        BackendRecorder open = recorder;
        if (open == null) {
            open();
            open = recorder;
            if (open == null) {
                throw new InvalidHandleException("the recorder's native handle could not be opened again", id);
            }
        }
        return open;
    }

    /**
     * Runs a call on the open recorder. If it fails with an invalid handle, the handle is closed (so the next call
     * opens a fresh one) and the failure is passed on.
     */
    <T> T call(Function<BackendRecorder, T> call) {
        BackendRecorder open = get();
        try {
            return call.apply(open);
        } catch (InvalidHandleException e) {
            LOG.log(Level.INFO, "the native handle of " + id + " is invalid; it is opened again for the next call");
            closeQuietly();
            throw e;
        }
    }

    /**
     * Takes the native lock. When the backend reports the recorder locked without naming the holder, asks it who
     * holds it (IMAPI2: "query ExclusiveAccessOwner anytime an operation fails with E_IMAPI_RECORDER_LOCKED").
     */
    void acquire(boolean force, String clientName) {
        call(open -> {
            try {
                open.acquireExclusiveAccess(force, clientName);
                return null;
            } catch (RecorderLockedException e) {
                throw namingOwner(open, e);
            }
        });
    }

    /**
     * Passes the native lock to the next client of the agent ({@link BackendRecorder#handOverExclusiveAccess}); a
     * backend that cannot keep it across clients gets a {@link #release()} and an {@link #acquire} right after each
     * other instead, in this one task. A failed hand-over closes the handle, so that the lock is certainly dropped.
     */
    void handOver(boolean force, String clientName) {
        BackendRecorder open = get();
        boolean passed;
        try {
            passed = open.handOverExclusiveAccess(clientName);
        } catch (RecorderRemovedException e) {
            throw e;
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "hand-over of " + id + " to '" + clientName + "' failed; closing its handle to "
                    + "drop the lock", e);
            closeQuietly();
            throw e;
        }
        if (!passed) {
            release();
            acquire(force, clientName);
        }
    }

    /** A locked failure that does not name the holder asks the backend who holds it. */
    private static RecorderLockedException namingOwner(BackendRecorder open, RecorderLockedException e) {
        if (e.owner().isPresent()) {
            return e;
        }
        String owner = null;
        try {
            owner = open.exclusiveAccessOwner();
        } catch (RuntimeException ownerFailure) {
            e.addSuppressed(ownerFailure);
        }
        return owner == null || owner.isEmpty() ? e : e.withOwner(owner);
    }

    /**
     * Releases the native lock. If the release fails for any reason but a vanished device, closes the handle: the
     * native lock lives as long as the handle, so this is certain to drop it (the next call opens a fresh one).
     */
    void release() {
        BackendRecorder open = get();
        try {
            open.releaseExclusiveAccess();
        } catch (RecorderRemovedException e) {
            throw e;
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "native release of " + id + " failed; closing its handle to drop the lock", e);
            closeQuietly();
        }
    }

    /** Closes the handle; a native lock still held goes with it. */
    void closeQuietly() {
        checkOnWorker();
        BackendRecorder open = recorder;
        recorder = null;
        if (open != null) {
            try {
                open.close();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "closing the native handle of " + id + " failed", e);
            }
        }
    }

    private void checkOnWorker() {
        if (!worker.isCurrent()) {
            throw new IllegalStateException("native call for " + id + " on " + Thread.currentThread().getName()
                    + " instead of " + worker.name());
        }
    }
}
