package io.discagent.agent.backend.windows;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The COM runtime and the IMAPI2 classes, as narrow as the backend needs them. The real implementation is
 * {@code JnaImapi2} (jna-platform, Windows only); tests use a fake.
 *
 * <h2>Threads</h2>
 * Every method acts on the calling thread's apartment: the backend calls them only on the agent's native workers,
 * after {@link #coInitializeEx} and before {@link #coUninitialize} on that same thread, and calls every object on the
 * thread that created it. Failures are thrown as jna-platform {@code COMException}s carrying the HRESULT the method
 * returned (the real binding calls every method through its vtable, so there is no {@code IDispatch::Invoke} wrapper
 * in between); {@link ComErrors} turns them into typed errors. A failed call leaves nothing allocated behind.
 */
interface Imapi2 {

    /**
     * {@code CoInitializeEx(NULL, coInit)} on the calling thread.
     *
     * @return the HRESULT, unchanged: {@code S_OK}, {@code S_FALSE} (already initialised; still needs its
     *     CoUninitialize), {@code RPC_E_CHANGED_MODE} (the thread is in another apartment) or another failure
     */
    int coInitializeEx(int coInit);

    /** {@code CoUninitialize()} on the calling thread; every object made on it must be released first. */
    void coUninitialize();

    /**
     * Dispatches window messages waiting for the calling thread ({@code PeekMessage(PM_REMOVE)},
     * {@code TranslateMessage}, {@code DispatchMessage}): how an apartment receives cross-apartment calls and events.
     *
     * @param max the most messages to dispatch in this call
     * @return how many were dispatched
     */
    int pumpMessages(int max);

    /**
     * {@code CreateEventW(NULL, FALSE, FALSE, NULL)}: an auto-reset event that wakes a thread waiting in
     * {@link WakeEvent#await}. Any thread.
     */
    WakeEvent createWakeEvent();

    /** {@code CoCreateInstance(CLSID_MsftDiscMaster2)} on the calling thread. */
    DiscMaster createDiscMaster();

    /** {@code CoCreateInstance(CLSID_MsftDiscRecorder2)} on the calling thread, not yet initialised. */
    DiscRecorder createDiscRecorder();

    /** How a {@link WakeEvent#await wait} ended. */
    enum Wakeup {
        /** The event was set. */
        SIGNALLED,
        /** A message arrived in the thread's queue (or was already there). */
        MESSAGE,
        /** The time ran out. */
        TIMEOUT
    }

    /** A kernel event object that ends a thread's wait for messages: how a call wakes an idle apartment. */
    interface WakeEvent {

        /** {@code SetEvent}. Any thread. */
        void set();

        /**
         * {@code MsgWaitForMultipleObjectsEx(1, &event, millis, QS_ALLINPUT, MWMO_INPUTAVAILABLE)} on the calling
         * thread: returns when the event is set, when a message is in the thread's queue, or after {@code millis}.
         *
         * @param millis the longest wait, {@code INFINITE} ({@code -1}) for none
         */
        Wakeup await(int millis);

        /** {@code CloseHandle}; once, when no thread can set or wait any more. */
        void close();
    }

    /** A COM object: released exactly once, on the thread that created it. */
    interface ComObject {

        /** {@code IUnknown::Release}: drops our reference. */
        void release();
    }

    /** {@code IDiscMaster2} of an {@code MsftDiscMaster2} object. */
    interface DiscMaster extends ComObject {

        /** {@code IsSupportedEnvironment}: whether some optical recorder is usable (it tries every drive). */
        boolean isSupportedEnvironment();

        /** {@code Count}: how many recorders there are. */
        int count();

        /** {@code Item(index)}: the unique id of a recorder, zero-based. */
        String item(int index);

        /**
         * Connects {@code sink} to the {@code DDiscMaster2Events} connection point
         * ({@code IConnectionPointContainer::FindConnectionPoint}, {@code IConnectionPoint::Advise}).
         *
         * @return the connection, to {@link EventConnection#unadvise()} on this same thread
         */
        EventConnection advise(ComEventSink sink);
    }

    /** An advised event connection. */
    interface EventConnection {

        /** {@code IConnectionPoint::Unadvise}, then releases the connection point. */
        void unadvise();
    }

    /** {@code IDiscRecorder2} of an {@code MsftDiscRecorder2} object. */
    interface DiscRecorder extends ComObject {

        /** {@code InitializeDiscRecorder(uniqueId)}: opens a handle to that recorder. */
        void initializeDiscRecorder(String uniqueId);

        /** {@code VendorId}. */
        String vendorId();

        /** {@code ProductId}. */
        String productId();

        /** {@code ProductRevision}. */
        String productRevision();

        /** {@code VolumePathNames}: drive letters and mount points. */
        List<String> volumePathNames();

        /** {@code AcquireExclusiveAccess(force, clientName)}. */
        void acquireExclusiveAccess(boolean force, String clientName);

        /** {@code ReleaseExclusiveAccess()}. */
        void releaseExclusiveAccess();

        /** {@code ExclusiveAccessOwner}: the holder's client name, or empty/null when free. */
        @Nullable String exclusiveAccessOwner();
    }
}
