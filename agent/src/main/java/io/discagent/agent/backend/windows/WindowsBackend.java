package io.discagent.agent.backend.windows;

import io.discagent.agent.backend.windows.Imapi2.DiscMaster;
import io.discagent.agent.backend.windows.Imapi2.DiscRecorder;
import io.discagent.agent.backend.windows.Imapi2.EventConnection;
import io.discagent.agent.spi.BackendRecorder;
import io.discagent.agent.spi.HotplugListener;
import io.discagent.agent.spi.NativeThreadHooks;
import io.discagent.agent.spi.NativeWorkerKind;
import io.discagent.agent.spi.RecorderBackend;
import io.discagent.agent.spi.RecorderDescriptor;
import io.discagent.api.RecorderId;
import io.discagent.api.error.HResult;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RecorderExceptions;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The Windows backend: IMAPI2 through COM, every object on the single-threaded apartment of the native worker that
 * made it.
 *
 * <h2>Objects and threads</h2>
 * <ul>
 * <li>The control worker ({@link NativeWorkerKind#CONTROL}) owns the one {@code MsftDiscMaster2}: it enumerates
 * ({@code IsSupportedEnvironment} once, then {@code Count}/{@code Item}), advises our {@link ComEventSink} on its
 * {@code DDiscMaster2Events} connection point, and in its idle hook handles device changes: events the sink queued,
 * a periodic {@code Count}/{@code Item} diff when polling is on, and a fresh enumeration after a recorder's handle
 * died. To describe a device (vendor, product, revision, volume paths) it initialises a short-lived
 * {@code MsftDiscRecorder2}, reads it and releases it at once; that probe never takes the lock.</li>
 * <li>Each recorder's worker owns that recorder's one lasting {@code MsftDiscRecorder2} ({@link #open}), the lock
 * holder: IMAPI2 counts per object and cdrom.sys locks per handle, so the agent keeps exactly one per device.</li>
 * <li>The sink may be called on any thread; it only queues the unique id for the control worker and wakes it.</li>
 * </ul>
 *
 * <h2>Devices that cannot be initialised</h2>
 * A device whose {@code InitializeDiscRecorder} fails is left out and not probed again at every poll: it is tried
 * again when IMAPI2 reports it added, when it has disappeared from {@code Count}/{@code Item} and come back, or when
 * its retry time has come (first after {@link #UNUSABLE_RETRY_FIRST}, then twice as long each time, up to
 * {@link #UNUSABLE_RETRY_MAX}). Blank unique ids (from an event or {@code Item}) are never probed.
 *
 * <h2>Removal and re-enumeration</h2>
 * A recorder call that fails with {@code HRESULT_FROM_WIN32(ERROR_DEV_NOT_EXIST)} or
 * {@code HRESULT_FROM_WIN32(ERROR_INVALID_HANDLE)} makes the agent drop the recorder and close it. When that recorder
 * closes, the backend forgets the device and enumerates again: a device that is still there (only its handle died)
 * is reported as arriving, and the agent opens a fresh object for it.
 */
public final class WindowsBackend implements RecorderBackend {

    /** The backend's name. */
    public static final String NAME = "windows";

    /** The first wait before a device that could not be initialised is probed again. */
    static final Duration UNUSABLE_RETRY_FIRST = Duration.ofSeconds(5);
    /** The longest wait between two probes of a device that cannot be initialised. */
    static final Duration UNUSABLE_RETRY_MAX = Duration.ofMinutes(5);

    private static final System.Logger LOG = System.getLogger(WindowsBackend.class.getName());

    private final Imapi2 com;
    private final WindowsSettings settings;
    private final LongSupplier nanoTime;

    // Written by any thread, drained by the control worker.
    private final ConcurrentLinkedQueue<DeviceNotice> notices = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Forget> forgotten = new ConcurrentLinkedQueue<>();

    // Control worker only.
    private @Nullable Apartment control;
    private @Nullable DiscMaster master;
    private final Map<String, RecorderDescriptor> known = new LinkedHashMap<>();
    private final Map<String, Unusable> unusable = new HashMap<>();
    private volatile @Nullable MessageWait controlWait; // woken by the sink and by forget(), from any thread
    private @Nullable HotplugListener listener;
    private volatile @Nullable ComEventSink sink; // volatile: eventDeliveries() may read it from any thread
    private @Nullable EventConnection connection;
    private Duration pollInterval = Duration.ZERO;
    private long nextPoll;
    private boolean closed;

    /**
     * @param com the COM layer (jna-platform on Windows, a fake in tests)
     * @param settings the backend's properties
     * @param nanoTime the clock of device polling ({@code System::nanoTime}; tests pass their own)
     */
    WindowsBackend(Imapi2 com, WindowsSettings settings, LongSupplier nanoTime) {
        this.com = com;
        this.settings = settings;
        this.nanoTime = nanoTime;
    }

    @Override
    public String name() {
        return NAME;
    }

    /**
     * Each worker enters an apartment and waits for calls and window messages at once; the control worker also
     * handles device changes when idle, and is woken when a device notice arrives from another thread.
     */
    @Override
    public NativeThreadHooks threadHooks(NativeWorkerKind kind) {
        if (kind != NativeWorkerKind.CONTROL) {
            return new ApartmentHooks(com, settings.pumpInterval(), () -> { });
        }
        ApartmentHooks hooks = new ApartmentHooks(com, settings.pumpInterval(), this::controlIdle);
        controlWait = hooks.messageWait();
        return hooks;
    }

    // ------------------------------------------------------------------------------------------------ control worker

    /** {@code IsSupportedEnvironment} once, then every recorder {@code Count}/{@code Item} lists that can be opened. */
    @Override
    public List<RecorderDescriptor> enumerate() {
        Apartment apartment = controlApartment();
        DiscMaster discMaster = master(apartment);
        known.clear();
        for (String id : listIds(discMaster)) {
            RecorderDescriptor descriptor = describe(apartment, id);
            if (descriptor != null) {
                known.put(id, descriptor);
            }
        }
        return List.copyOf(known.values());
    }

    @Override
    public void startHotplug(HotplugListener hotplugListener) {
        Apartment apartment = controlApartment();
        DiscMaster discMaster = master(apartment);
        listener = hotplugListener;
        pollInterval = settings.pollDevices();
        if (settings.deviceEvents()) {
            ComEventSink eventSink = new ComEventSink(new QueueingHandler());
            try {
                connection = call(() -> discMaster.advise(eventSink), Imapi2Call.ADVISE);
                sink = eventSink;
            } catch (RecorderException e) {
                apartment.atLeave(eventSink::dispose); // a failed Advise may still hold a reference
                pollInterval = settings.pollWithoutEvents();
                LOG.log(Level.WARNING, "IMAPI2 device events are not available; polling the recorders every "
                        + pollInterval.toMillis() + " ms instead", e);
            }
        }
        nextPoll = nanoTime.getAsLong() + pollInterval.toNanos();
        rescan(apartment, discMaster); // what came or went between enumerate() and now
    }

    @Override
    public void close() {
        Apartment apartment = controlApartment();
        closed = true;
        listener = null;
        EventConnection advised = connection;
        connection = null;
        if (advised != null) {
            try {
                advised.unadvise();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "unadvising the device event sink failed",
                        ComErrors.map(e, Imapi2Call.UNADVISE, null));
            }
        }
        DiscMaster discMaster = master;
        master = null;
        if (discMaster != null) {
            apartment.release(discMaster); // the source lets go of whatever it still holds of the sink
        }
        ComEventSink eventSink = sink;
        sink = null;
        if (eventSink != null) {
            apartment.atLeave(eventSink::dispose); // reachable until COM is done with this thread
        }
        known.clear();
        unusable.clear();
        notices.clear();
        forgotten.clear();
    }

    /** The control worker's idle work: device changes (events, forgotten handles, polling). */
    void controlIdle() {
        HotplugListener hotplug = listener;
        DiscMaster discMaster = master;
        Apartment apartment = control;
        if (closed || hotplug == null || discMaster == null || apartment == null) {
            return;
        }
        boolean rescan = false;
        for (Forget forget = forgotten.poll(); forget != null; forget = forgotten.poll()) {
            known.remove(forget.id());
            rescan |= forget.rescan();
        }
        for (DeviceNotice notice = notices.poll(); notice != null; notice = notices.poll()) {
            handle(apartment, hotplug, notice);
        }
        long now = nanoTime.getAsLong();
        if (!pollInterval.isZero() && now - nextPoll >= 0) {
            nextPoll = now + pollInterval.toNanos();
            rescan = true;
        }
        for (Unusable failed : unusable.values()) {
            rescan |= failed.isDue(now); // its retry has come: probe it without waiting for the next poll
        }
        if (rescan) {
            rescan(apartment, discMaster);
        }
    }

    private void handle(Apartment apartment, HotplugListener hotplug, DeviceNotice notice) {
        if (notice.id().isBlank()) {
            LOG.log(Level.DEBUG, "ignoring a device notice with a blank unique id");
            return;
        }
        unusable.remove(notice.id()); // an arrival or a removal: a device that comes is probed afresh
        if (notice.added()) {
            if (!known.containsKey(notice.id())) {
                arrived(apartment, hotplug, notice.id());
            }
        } else if (known.remove(notice.id()) != null) {
            hotplug.recorderRemoved(notice.id());
        }
    }

    /** Diffs {@code Count}/{@code Item} against the known devices and reports the difference. */
    private void rescan(Apartment apartment, DiscMaster discMaster) {
        HotplugListener hotplug = listener;
        if (hotplug == null) {
            return;
        }
        Set<String> present;
        try {
            present = new LinkedHashSet<>(listIds(discMaster));
        } catch (RecorderException e) {
            LOG.log(Level.WARNING, "listing the recorders failed; keeping the last known list", e);
            return;
        }
        for (String id : new ArrayList<>(known.keySet())) {
            if (!present.contains(id)) {
                known.remove(id);
                hotplug.recorderRemoved(id);
            }
        }
        unusable.keySet().retainAll(present); // one that went away is probed afresh when it comes back
        long now = nanoTime.getAsLong();
        for (String id : present) {
            Unusable failed = unusable.get(id);
            if (!known.containsKey(id) && (failed == null || failed.isDue(now))) {
                arrived(apartment, hotplug, id);
            }
        }
    }

    private void arrived(Apartment apartment, HotplugListener hotplug, String id) {
        RecorderDescriptor descriptor = describe(apartment, id);
        if (descriptor != null) {
            known.put(id, descriptor);
            hotplug.recorderArrived(descriptor);
        }
    }

    private List<String> listIds(DiscMaster discMaster) {
        int count = call(discMaster::count, Imapi2Call.COUNT);
        List<String> ids = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int index = i;
            try {
                String id = call(() -> discMaster.item(index), Imapi2Call.ITEM);
                if (!id.isBlank()) {
                    ids.add(id);
                }
            } catch (RecorderException e) {
                LOG.log(Level.DEBUG, "recorder " + index + " of " + count + " vanished while listing", e);
            }
        }
        return ids;
    }

    /**
     * Reads a device's descriptor with a short-lived recorder object that is released before returning.
     *
     * @return the descriptor, or {@code null} when the device cannot be initialised (it is then not reported)
     */
    private @Nullable RecorderDescriptor describe(Apartment apartment, String id) {
        if (id.isBlank()) {
            return null;
        }
        RecorderId recorder = RecorderId.of(id);
        DiscRecorder probe;
        try {
            probe = apartment.createDiscRecorder();
        } catch (RecorderException e) {
            LOG.log(Level.WARNING, "cannot create a recorder object to describe " + id, e);
            return null;
        }
        try {
            try {
                probe.initializeDiscRecorder(id);
            } catch (RuntimeException e) {
                Unusable before = unusable.get(id);
                Unusable now = before == null ? Unusable.first(nanoTime.getAsLong())
                        : before.again(nanoTime.getAsLong());
                unusable.put(id, now);
                LOG.log(before == null ? Level.WARNING : Level.DEBUG, "recorder " + id + " cannot be initialised; it "
                        + "is left out and tried again in " + now.delay().toSeconds() + " s at the earliest",
                        ComErrors.map(e, Imapi2Call.INITIALIZE_DISC_RECORDER, recorder));
                return null;
            }
            unusable.remove(id);
            String vendor = property(probe::vendorId, Imapi2Call.VENDOR_ID, recorder, "");
            String product = property(probe::productId, Imapi2Call.PRODUCT_ID, recorder, "");
            String revision = property(probe::productRevision, Imapi2Call.PRODUCT_REVISION, recorder, "");
            List<String> paths = property(probe::volumePathNames, Imapi2Call.VOLUME_PATH_NAMES, recorder, List.of());
            return new RecorderDescriptor(id, vendor.trim(), product.trim(), revision.trim(), paths,
                    Map.of("interface", "IMAPI2"));
        } finally {
            apartment.release(probe);
        }
    }

    private static <T> T property(Supplier<@Nullable T> read, Imapi2Call call, RecorderId recorder, T fallback) {
        try {
            T value = read.get();
            return value == null ? fallback : value;
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, "reading " + call + " of " + recorder + " failed",
                    ComErrors.map(e, call, recorder));
            return fallback;
        }
    }

    private DiscMaster master(Apartment apartment) {
        DiscMaster discMaster = master;
        if (discMaster == null) {
            if (closed) {
                throw RecorderExceptions.create(HResult.RPC_E_DISCONNECTED, "the windows backend is closed", null,
                        null, null, null);
            }
            discMaster = apartment.createDiscMaster();
            master = discMaster;
            DiscMaster created = discMaster;
            boolean supported = call(created::isSupportedEnvironment, Imapi2Call.IS_SUPPORTED_ENVIRONMENT);
            if (!supported) {
                LOG.log(Level.WARNING, "IMAPI2 reports no usable optical recorder (IsSupportedEnvironment is false)");
            }
        }
        return discMaster;
    }

    /** The control worker's apartment; fails with {@code RPC_E_WRONG_THREAD} on any other thread. */
    private Apartment controlApartment() {
        Apartment apartment = Apartment.current();
        Apartment owner = control;
        if (owner == null) {
            control = apartment;
            return apartment;
        }
        owner.checkThread();
        return apartment;
    }

    // ------------------------------------------------------------------------------------------------ recorder workers

    /** Creates and initialises the recorder's one lasting {@code MsftDiscRecorder2}, on the recorder's worker. */
    @Override
    public BackendRecorder open(RecorderDescriptor descriptor) {
        Apartment apartment = Apartment.current();
        RecorderId id = RecorderId.of(descriptor.id());
        DiscRecorder recorder = apartment.createDiscRecorder();
        try {
            recorder.initializeDiscRecorder(descriptor.id());
        } catch (RuntimeException e) {
            apartment.release(recorder);
            RecorderException failure = ComErrors.map(e, Imapi2Call.INITIALIZE_DISC_RECORDER, id);
            if (RecorderExceptions.isDeviceOrHandleGone(failure)) {
                forget(descriptor.id(), false);
            }
            throw failure;
        }
        return new WindowsRecorder(this, apartment, recorder, id);
    }

    /**
     * Forgets a device whose handle died, so the next enumeration reports it again if it is still there. Any
     * thread.
     *
     * @param rescan whether to enumerate again at once (after the agent dropped the recorder), or only at the next
     *     poll or event (after a failed open, which the agent is still handling)
     */
    void forget(String id, boolean rescan) {
        forgotten.add(new Forget(id, rescan));
        wakeControl();
    }

    /** Ends the control worker's idle wait, so it handles what was just queued for it. Any thread. */
    void wakeControl() {
        MessageWait wait = controlWait;
        if (wait != null) {
            wait.wake();
        }
    }

    /**
     * How the advised sink has been called so far: which of IMAPI2's two possible paths it uses is not documented
     * (reference 3.2), and a run on Windows settles it. Any thread.
     */
    EventDeliveries eventDeliveries() {
        ComEventSink current = sink;
        return current == null ? new EventDeliveries(false, 0, 0)
                : new EventDeliveries(true, current.deliveriesThroughInvoke(), current.deliveriesThroughVtable());
    }

    /** The advised sink, if any (for tests: its lifetime). Any thread. */
    @Nullable ComEventSink eventSink() {
        return sink;
    }

    /**
     * @param advised whether a sink is advised now
     * @param throughInvoke events that came through {@code IDispatch::Invoke}
     * @param throughVtable events that came through the direct slots 7 and 8
     */
    record EventDeliveries(boolean advised, int throughInvoke, int throughVtable) {
    }

    // ------------------------------------------------------------------------------------------------ plumbing

    private static <T> T call(Supplier<T> body, Imapi2Call call) {
        try {
            return body.get();
        } catch (RuntimeException e) {
            throw ComErrors.map(e, call, null);
        }
    }

    /** A device change the sink reported. */
    private record DeviceNotice(boolean added, String id) {
    }

    /** A device to forget, and whether to enumerate again right after. */
    private record Forget(String id, boolean rescan) {
    }

    /**
     * A device that could not be initialised: when to probe it again.
     *
     * @param delay the wait that led to {@code retryAt}
     * @param retryAt the backend clock's time from which it is probed again
     */
    private record Unusable(Duration delay, long retryAt) {

        static Unusable first(long now) {
            return new Unusable(UNUSABLE_RETRY_FIRST, now + UNUSABLE_RETRY_FIRST.toNanos());
        }

        Unusable again(long now) {
            Duration next = delay.multipliedBy(2);
            if (next.compareTo(UNUSABLE_RETRY_MAX) > 0) {
                next = UNUSABLE_RETRY_MAX;
            }
            return new Unusable(next, now + next.toNanos());
        }

        boolean isDue(long now) {
            return now - retryAt >= 0;
        }
    }

    /** The sink's handler: queues the unique id for the control worker, wakes it and returns. */
    private final class QueueingHandler implements ComEventSink.Handler {

        @Override
        public void deviceAdded(String uniqueId) {
            notices.add(new DeviceNotice(true, uniqueId));
            wakeControl();
        }

        @Override
        public void deviceRemoved(String uniqueId) {
            notices.add(new DeviceNotice(false, uniqueId));
            wakeControl();
        }
    }
}
