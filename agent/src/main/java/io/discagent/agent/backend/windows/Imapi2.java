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
 * thread that created it. Failures are thrown as jna-platform {@code COMException}s (a {@code COMInvokeException}
 * when they come through {@code IDispatch::Invoke}); {@link ComErrors} turns them into typed errors.
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

    /** {@code CoCreateInstance(CLSID_MsftDiscMaster2)} on the calling thread. */
    DiscMaster createDiscMaster();

    /** {@code CoCreateInstance(CLSID_MsftDiscRecorder2)} on the calling thread, not yet initialised. */
    DiscRecorder createDiscRecorder();

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
