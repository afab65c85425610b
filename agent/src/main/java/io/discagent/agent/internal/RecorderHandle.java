package io.discagent.agent.internal;

import io.discagent.agent.spi.BackendRecorder;
import io.discagent.agent.spi.RecorderBackend;
import io.discagent.agent.spi.RecorderDescriptor;
import io.discagent.api.RecorderId;
import io.discagent.api.error.InvalidHandleException;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RecorderLockedException;
import io.discagent.api.error.RecorderRemovedException;
import java.lang.System.Logger.Level;
import java.util.concurrent.atomic.AtomicReference;
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
    /** What the open recorder said of its hand-overs ({@link BackendRecorder#handsOverInPlace}); read on the loop. */
    private volatile boolean handsOverInPlace;
    /** The client a hand-over in place passed the lock to, not told to the recorder yet (set on the loop). */
    private final AtomicReference<@Nullable Rename> renameTo = new AtomicReference<>();
    /** Told (on the worker) when a rename failed and the handle was closed: that hold lost the lock. */
    private volatile LockLost lockLost = (hold, reason) -> { };

    /** A hand-over in place not told to the recorder yet: the new holder's name, and the hold it began. */
    private record Rename(String clientName, long hold) {
    }

    /** The hold id that means "whichever hold is current" ({@link LockLost}). */
    static final long ANY_HOLD = -1;

    /** Whether the open recorder holds the native lock, as far as this handle made it (worker only). */
    private boolean holdsLock;

    /** Where a lock lost by a failed rename, or by a handle closed while it held the lock, is reported. */
    interface LockLost {
        /**
         * The handle was closed while it held the lock (a rename for {@code hold} failed, or a call under the current
         * hold, {@link #ANY_HOLD}, met an invalid handle): the lock is dropped. Native worker.
         */
        void lost(long hold, RecorderException reason);
    }

    RecorderHandle(RecorderBackend backend, RecorderDescriptor descriptor, NativeWorker worker) {
        this.backend = backend;
        this.descriptor = descriptor;
        this.id = RecorderId.of(descriptor.id());
        this.worker = worker;
    }

    /** Opens the backend recorder. */
    void open() {
        checkOnWorker();
        BackendRecorder opened = backend.open(descriptor);
        recorder = opened;
        handsOverInPlace = opened.handsOverInPlace();
    }

    /** Where a lock lost by a failed rename is reported (the slot, which hops to the event loop). */
    void onLockLost(LockLost listener) {
        this.lockLost = listener;
    }

    /** Whether a hand-over is a change of name only (event loop; set when the handle opened). */
    boolean handsOverInPlace() {
        return handsOverInPlace;
    }

    /**
     * A hand-over in place on the event loop: the lock is {@code clientName}'s now, in {@code hold}; the recorder learns
     * the name right before the next call on it (any thread; the latest name wins).
     */
    void renameLater(String clientName, long hold) {
        renameTo.set(new Rename(clientName, hold));
    }

    /** The hold {@code hold} ended without its lock (event loop): its rename, if still pending, is dropped. */
    void forgetRename(long hold) {
        Rename pending = renameTo.get();
        if (pending != null && pending.hold() == hold) {
            renameTo.compareAndSet(pending, null);
        }
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
        Rename rename = renameTo.getAndSet(null);
        if (rename != null) {
            renameHolder(open, rename);
        }
        return open;
    }

    /** Tells the recorder the holder a hand-over in place passed the lock to; a failure closes the handle. */
    private void renameHolder(BackendRecorder open, Rename rename) {
        String clientName = rename.clientName();
        try {
            if (passOrClose(open, clientName)) {
                return;
            }
            closeQuietly(); // declined: it does not hold the lock it should pass on
        } catch (RecorderRemovedException e) {
            throw e;
        } catch (RuntimeException e) {
            // closed by passOrClose
        }
        InvalidHandleException lost = new InvalidHandleException("the lock of " + id + " could not be passed to '"
                + clientName + "'; the handle was closed", id);
        lockLost.lost(rename.hold(), lost);
        throw lost;
    }

    /**
     * {@link BackendRecorder#handOverExclusiveAccess}; a failure (other than the recorder's removal) closes the handle,
     * so that the lock is certainly dropped, and is passed on.
     */
    private boolean passOrClose(BackendRecorder open, String clientName) {
        try {
            return open.handOverExclusiveAccess(clientName);
        } catch (RecorderRemovedException e) {
            throw e;
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "hand-over of " + id + " to '" + clientName + "' failed; closing its handle to "
                    + "drop the lock", e);
            closeQuietly();
            throw e;
        }
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
            boolean held = holdsLock;
            closeQuietly();
            if (held) {
                lockLost.lost(ANY_HOLD, e); // closing it dropped the lock the current hold had
            }
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
                holdsLock = true;
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
        if (!passOrClose(get(), clientName)) {
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
        holdsLock = false; // whatever happens next, the agent no longer counts on this lock
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
        holdsLock = false;
        renameTo.set(null); // a closed handle holds nothing to rename
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
