package io.discagent.agent.backend.windows;

import java.io.IOException;
import java.nio.ByteBuffer;
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

    /** {@code CoCreateInstance(CLSID_MsftDiscFormat2Data)} on the calling thread: the data writer. */
    DiscFormat2Data createDiscFormat2Data();

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

        /** {@code SupportedProfiles}: every MMC profile number the drive supports (reading or writing). */
        List<Integer> supportedProfiles();

        /** {@code CurrentProfiles}: the MMC profile numbers of the medium in the drive (empty without one). */
        List<Integer> currentProfiles();
    }

    /**
     * {@code IDiscFormat2Data} of an {@code MsftDiscFormat2Data} object: writes an image to the medium of the recorder
     * it is given. Its methods take the recorder's exclusive lock themselves when needed; the backend uses it only on
     * the worker of the recorder whose {@code MsftDiscRecorder2} already holds the lock.
     */
    interface DiscFormat2Data extends ComObject {

        /** {@code put_Recorder}: the recorder to write to (the agent's lasting object, which holds the lock). */
        void setRecorder(DiscRecorder recorder);

        /** {@code put_ClientName}: the name IMAPI2 locks the recorder with while it writes. */
        void setClientName(String clientName);

        /** {@code IsCurrentMediaSupported(recorder)}: whether this writer can write the medium in the recorder. */
        boolean isCurrentMediaSupported(DiscRecorder recorder);

        /** {@code MediaHeuristicallyBlank}. */
        boolean mediaHeuristicallyBlank();

        /** {@code SupportedMediaTypes}: the {@code IMAPI_MEDIA_PHYSICAL_TYPE}s this writer writes on the recorder. */
        List<Integer> supportedMediaTypes();

        /** {@code CurrentPhysicalMediaType}: the {@code IMAPI_MEDIA_PHYSICAL_TYPE} of the medium. */
        int currentPhysicalMediaType();

        /** {@code CurrentMediaStatus}: the {@code IMAPI_FORMAT2_DATA_MEDIA_STATE} flags. */
        int currentMediaStatus();

        /** {@code TotalSectorsOnMedia}. */
        int totalSectorsOnMedia();

        /** {@code FreeSectorsOnMedia}. */
        int freeSectorsOnMedia();

        /** {@code put_ForceMediaToBeClosed}: close the disc after writing (true) or leave it appendable. */
        void setForceMediaToBeClosed(boolean close);

        /** {@code SetWriteSpeed(sectorsPerSecond, pureCav)}. */
        void setWriteSpeed(int sectorsPerSecond, boolean pureCav);

        /**
         * {@code IBurnVerification::put_BurnVerificationLevel} (asked of this object with {@code QueryInterface}).
         *
         * @param level an {@code IMAPI_BURN_VERIFICATION_LEVEL}
         */
        void setBurnVerificationLevel(int level);

        /**
         * {@code Write(IStream*)}: writes {@code image} and returns when it is written (or failed, or was cancelled).
         * Meanwhile IMAPI2 fires {@code DDiscFormat2DataEvents::Update} on this thread, which reaches
         * {@code progress}; {@link #cancelWrite()} may only be called from there (IMAPI2's rule).
         */
        void write(ImageReader image, WriteProgressListener progress);

        /** {@code CancelWrite()}: call it from {@link WriteProgressListener#update} only. */
        void cancelWrite();
    }

    /** The image as the writer reads it: an {@code IStream} over it is handed to {@code Write}. */
    interface ImageReader {

        /** Its size in bytes ({@code IStream::Stat}'s {@code cbSize}). */
        long size();

        /** Reads at {@code position} into {@code dst}; -1 at the end. */
        int read(ByteBuffer dst, long position) throws IOException;
    }

    /** Receives {@code DDiscFormat2DataEvents::Update} on the writing thread. */
    interface WriteProgressListener {
        void update(WriteProgress progress);
    }

    /**
     * What one {@code Update} event says ({@code IDiscFormat2DataEventArgs}).
     *
     * @param action the {@code IMAPI_FORMAT2_DATA_WRITE_ACTION}
     * @param startLba where the write started
     * @param sectorCount how many sectors it writes
     * @param lastWrittenLba the last sector written so far
     * @param totalSystemBuffer the size of IMAPI2's buffer
     * @param usedSystemBuffer how much of it is used
     * @param elapsedSeconds since the write started
     * @param remainingSeconds IMAPI2's estimate of the time left
     * @param totalSeconds IMAPI2's estimate of the whole write
     */
    record WriteProgress(int action, int startLba, int sectorCount, int lastWrittenLba, int totalSystemBuffer,
            int usedSystemBuffer, int elapsedSeconds, int remainingSeconds, int totalSeconds) {
    }
}
