package io.discagent.agent.backend.windows;

import io.discagent.agent.backend.windows.Imapi2.ComObject;
import io.discagent.agent.backend.windows.Imapi2.DiscMaster;
import io.discagent.agent.backend.windows.Imapi2.DiscRecorder;
import io.discagent.api.error.HResult;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RecorderExceptions;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The COM single-threaded apartment of one native worker thread: entered when the worker starts, pumped between calls
 * and while idle, left when the worker stops. It creates the thread's IMAPI2 objects and remembers them until they
 * are released, so that leaving releases whatever is left before {@code CoUninitialize}.
 *
 * <h2>Threads</h2>
 * Confined to its thread: {@link #enter} runs there (from {@link ApartmentHooks#onStart()}), and every other method
 * checks that it is called there, failing with {@code RPC_E_WRONG_THREAD} otherwise, as COM would.
 * {@link #current()} finds the calling thread's apartment.
 */
final class Apartment {

    private static final System.Logger LOG = System.getLogger(Apartment.class.getName());
    private static final ThreadLocal<Apartment> CURRENT = new ThreadLocal<>();

    /** At most this many window messages are dispatched per pump, so queued calls are not starved. */
    static final int MAX_MESSAGES_PER_PUMP = 64;

    private final Imapi2 com;
    private final Thread thread;
    private final @Nullable RecorderException failure;
    private final List<ComObject> live = new ArrayList<>();
    private final List<Runnable> atLeave = new ArrayList<>();
    private boolean left;

    private Apartment(Imapi2 com, Thread thread, @Nullable RecorderException failure) {
        this.com = com;
        this.thread = thread;
        this.failure = failure;
    }

    /**
     * Enters a single-threaded apartment on the calling thread: {@code CoInitializeEx(COINIT_APARTMENTTHREADED)}.
     * {@code S_OK} and {@code S_FALSE} both enter it (and both get their {@code CoUninitialize} in {@link #leave()});
     * any failure, such as {@code RPC_E_CHANGED_MODE}, is kept and thrown by every later use of the apartment.
     */
    static Apartment enter(Imapi2 com) {
        Thread thread = Thread.currentThread();
        RecorderException failure = null;
        try {
            int hr = com.coInitializeEx(ComCodes.COINIT_APARTMENTTHREADED);
            if (hr != ComCodes.S_OK && hr != ComCodes.S_FALSE) {
                failure = ComErrors.map(hr, Imapi2Call.CO_INITIALIZE_EX, null);
            }
        } catch (RuntimeException | LinkageError e) {
            failure = ComErrors.map(e, Imapi2Call.CO_INITIALIZE_EX, null);
        }
        Apartment apartment = new Apartment(com, thread, failure);
        CURRENT.set(apartment);
        if (failure != null) {
            LOG.log(Level.ERROR, "thread " + thread.getName() + " could not enter a COM apartment; every IMAPI2 "
                    + "call on it fails", failure);
        }
        return apartment;
    }

    /**
     * The calling thread's apartment, ready for calls.
     *
     * @throws RecorderException {@code CO_E_NOTINITIALIZED} when the thread never entered one (it is not a native
     *     worker of this backend) or has left it; the entry failure (such as {@code RPC_E_CHANGED_MODE}) when entering
     *     failed
     */
    static Apartment current() {
        Apartment apartment = CURRENT.get();
        if (apartment == null) {
            throw notInitialized("thread " + Thread.currentThread().getName() + " has no COM apartment: IMAPI2 is "
                    + "called only on the agent's native workers");
        }
        apartment.checkUsable();
        return apartment;
    }

    /** Fails unless the caller is this apartment's thread ({@code RPC_E_WRONG_THREAD}). */
    void checkThread() {
        if (Thread.currentThread() != thread) {
            throw RecorderExceptions.create(HResult.RPC_E_WRONG_THREAD, "a COM object of thread " + thread.getName()
                    + " was called on " + Thread.currentThread().getName(), null, null, null, null);
        }
    }

    private void checkUsable() {
        checkThread();
        if (failure != null) {
            throw failure;
        }
        if (left) {
            throw notInitialized("thread " + thread.getName() + " has left its COM apartment");
        }
    }

    /** Whether {@code CoInitializeEx} succeeded on this thread. */
    boolean isEntered() {
        return failure == null;
    }

    /** The thread's name. */
    String threadName() {
        return thread.getName();
    }

    /** Dispatches the window messages waiting for this thread; nothing when the apartment is not usable. */
    void pump() {
        checkThread();
        if (failure == null && !left) {
            com.pumpMessages(MAX_MESSAGES_PER_PUMP);
        }
    }

    /** Creates the {@code MsftDiscMaster2} object of this thread. */
    DiscMaster createDiscMaster() {
        return create(com::createDiscMaster, Imapi2Call.CREATE_DISC_MASTER);
    }

    /** Creates an {@code MsftDiscRecorder2} object on this thread. */
    DiscRecorder createDiscRecorder() {
        return create(com::createDiscRecorder, Imapi2Call.CREATE_DISC_RECORDER);
    }

    /** Creates an {@code MsftDiscFormat2Data} object (the data writer) on this thread. */
    Imapi2.DiscFormat2Data createDiscFormat2Data() {
        return create(com::createDiscFormat2Data, Imapi2Call.CREATE_DISC_FORMAT2_DATA);
    }

    private <T extends ComObject> T create(Supplier<T> factory, Imapi2Call call) {
        checkUsable();
        T object;
        try {
            object = factory.get();
        } catch (RuntimeException e) {
            throw ComErrors.map(e, call, null);
        }
        live.add(object);
        return object;
    }

    /** Releases an object made by this apartment (once: a second release does nothing). Never throws. */
    void release(ComObject object) {
        checkThread();
        if (!live.remove(object)) {
            return;
        }
        try {
            object.release();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "releasing a COM object on " + thread.getName() + " failed", e);
        }
    }

    /**
     * Runs {@code action} when the apartment is left, after {@code CoUninitialize}: what must stay alive as long as
     * COM may still call into this thread (our event sink) is kept reachable until then.
     */
    void atLeave(Runnable action) {
        checkThread();
        atLeave.add(action);
    }

    /** How many objects made here are not yet released. */
    int liveObjects() {
        return live.size();
    }

    /**
     * Leaves the apartment: releases every object still alive (newest first), then {@code CoUninitialize} if
     * {@code CoInitializeEx} had succeeded, then the {@link #atLeave} actions. Runs once, from
     * {@link ApartmentHooks#onStop()}.
     */
    void leave() {
        checkThread();
        if (left) {
            return;
        }
        if (!live.isEmpty()) {
            LOG.log(Level.DEBUG, thread.getName() + " releases " + live.size() + " COM object(s) before leaving");
        }
        for (int i = live.size() - 1; i >= 0; i--) {
            release(live.get(i));
        }
        left = true;
        CURRENT.remove();
        if (failure == null) {
            try {
                com.coUninitialize();
            } catch (RuntimeException | LinkageError e) {
                LOG.log(Level.WARNING, "CoUninitialize failed on " + thread.getName(), e);
            }
        }
        for (Runnable action : atLeave) {
            try {
                action.run();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "a clean-up after leaving the apartment of " + thread.getName() + " failed", e);
            }
        }
        atLeave.clear();
    }

    private static RecorderException notInitialized(String message) {
        return RecorderExceptions.create(HResult.CO_E_NOTINITIALIZED, message, null, null, null, null);
    }
}
