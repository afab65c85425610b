package io.discagent.agent.backend.simulated;

import io.discagent.agent.spi.BackendRecorder;
import io.discagent.agent.spi.HotplugListener;
import io.discagent.agent.spi.RecorderBackend;
import io.discagent.agent.spi.RecorderDescriptor;
import io.discagent.api.DiscState;
import io.discagent.api.MediaInfo;
import io.discagent.api.MediaProfile;
import io.discagent.api.RecorderId;
import io.discagent.api.TrayState;
import io.discagent.api.error.HResult;
import io.discagent.api.error.InvalidArgumentException;
import io.discagent.api.error.InvalidHandleException;
import io.discagent.api.error.RecorderRemovedException;
import io.discagent.api.error.RecorderExceptions;
import io.discagent.api.error.RecorderLockedException;
import io.discagent.api.event.MediaChangedEvent.MediaState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Virtual recorders that behave like IMAPI2's: one lock holder per device by handle, external holders, mounted
 * volumes that need {@code force}, removal, and faults on demand (failures with any HRESULT, latency, calls that
 * hang). It is a product feature (kiosk demos, testing applications without hardware), controlled through
 * {@link Simulator}.
 *
 * <p>Native calls block the calling native worker exactly as long as configured; control calls may come from any
 * thread. One lock guards the simulated devices (they are the "hardware", not agent state).
 */
public final class SimulatedBackend implements RecorderBackend, Simulator {

    /** The backend's name. */
    public static final String NAME = "simulated";

    private static final int CALL_LOG_SIZE = 10_000;

    final Object lock = new Object();
    private final Map<RecorderId, SimulatedDevice> devices = new LinkedHashMap<>();
    private final ArrayDeque<SimulatedCall> calls = new ArrayDeque<>();
    private @Nullable HotplugListener listener;
    private int nextId;
    private boolean closed;
    private Duration openLatency = Duration.ZERO;
    private HandOver handOver = HandOver.KEEP_CLAIM;
    /** Lock counts of devices replaced by a new one with the same id. */
    private long retiredTaken;
    private long retiredDropped;
    private final SimulatedSettings settings;
    private @Nullable Path discDirectory;

    /** A backend with {@code recorders} virtual recorders, {@code sim-0} to {@code sim-(n-1)}. */
    public SimulatedBackend(int recorders) {
        this(SimulatedSettings.DEFAULTS.withRecorders(recorders));
    }

    /** A backend with these settings ({@code simulated.*} properties). */
    public SimulatedBackend(SimulatedSettings settings) {
        this.settings = InvalidArgumentException.requireNonNull(settings, "settings");
        this.discDirectory = settings.discDirectory();
        for (int i = 0; i < settings.recorders(); i++) {
            RecorderId id = RecorderId.of("sim-" + nextId++);
            devices.put(id, newDevice(id));
        }
    }

    /** A backend with {@code recorders} virtual recorders that pass the lock on as {@code handOver} says. */
    public SimulatedBackend(int recorders, HandOver handOver) {
        this(recorders);
        setHandOver(handOver);
    }

    private SimulatedDevice newDevice(RecorderId id) {
        return new SimulatedDevice(id, SimulatedDisc.blank(settings.disc()), settings.burnSpeed());
    }

    // ------------------------------------------------------------------------------------------------ SPI

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<RecorderDescriptor> enumerate() {
        synchronized (lock) {
            log(RecorderId.of("*"), "enumerate");
            List<RecorderDescriptor> present = new ArrayList<>();
            for (SimulatedDevice device : devices.values()) {
                if (device.present) {
                    present.add(descriptor(device.id));
                }
            }
            return present;
        }
    }

    @Override
    public BackendRecorder open(RecorderDescriptor descriptor) {
        Duration delay;
        synchronized (lock) {
            delay = openLatency;
        }
        if (!delay.isZero()) {
            sleep(delay);
        }
        synchronized (lock) {
            RecorderId id = RecorderId.of(descriptor.id());
            log(id, "open");
            SimulatedDevice device = devices.get(id);
            if (device == null || !device.present) {
                throw new RecorderRemovedException("simulated recorder " + id + " is not present", id);
            }
            return new SimulatedRecorder(this, device);
        }
    }

    @Override
    public void startHotplug(HotplugListener listener) {
        synchronized (lock) {
            log(RecorderId.of("*"), "startHotplug");
            this.listener = listener;
        }
    }

    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            listener = null;
            devices.values().forEach(device -> device.blockedCalls = 0);
            lock.notifyAll();
        }
    }

    private static RecorderDescriptor descriptor(RecorderId id) {
        return new RecorderDescriptor(id.value(), "DISCAGNT", "Virtual BD-RE", "1.0", List.of("sim://" + id),
                Map.of("bus", "simulated"));
    }

    // ------------------------------------------------------------------------------------------------ native side

    /** The part of every native call before its effect: log, latency, hangs, injected failures. */
    void enter(SimulatedRecorder recorder, SimulatedDevice device, Operation operation, String name) {
        HResult failure = null;
        long hangEpoch = -1;
        Duration latency;
        synchronized (lock) {
            log(device.id, name);
            checkUsable(recorder, device);
            latency = device.latency;
            SimulatedDevice.Fault fault = nextFault(device, operation);
            if (fault != null) {
                if (fault.failure == null) {
                    hangEpoch = device.hangEpoch; // a releaseHangs from now on lets this call go, even before it blocks
                } else {
                    failure = fault.failure;
                }
            }
        }
        if (!latency.isZero()) {
            sleep(latency);
        }
        if (hangEpoch >= 0) {
            block(recorder, device, hangEpoch);
        }
        if (failure != null) {
            throw RecorderExceptions.create(failure, "simulated failure of " + name + " on " + device.id, device.id,
                    null, null, null);
        }
    }

    private static SimulatedDevice.@Nullable Fault nextFault(SimulatedDevice device, Operation operation) {
        for (SimulatedDevice.Fault fault : device.faults) {
            if (fault.matches(operation)) {
                if (--fault.remaining == 0) {
                    device.faults.remove(fault);
                }
                return fault;
            }
        }
        return null;
    }

    /** Blocks the calling native call like a hung drive, until released, removed or closed. */
    void block(SimulatedRecorder recorder, SimulatedDevice device) {
        long epoch;
        synchronized (lock) {
            epoch = device.hangEpoch;
        }
        block(recorder, device, epoch);
    }

    /** Blocks the calling native call, hung since {@code epoch}, until released, removed or closed. */
    private void block(SimulatedRecorder recorder, SimulatedDevice device, long epoch) {
        synchronized (lock) {
            if (!stillHung(device, epoch)) {
                checkUsable(recorder, device);
                return; // released (or removed, or closed) between the choice of the hang and now
            }
            device.blockedCalls++;
            try {
                while (stillHung(device, epoch)) {
                    lock.wait();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (stillHung(device, epoch)) {
                    device.blockedCalls--; // let go by the interrupt; releaseHangs, removal and close reset the count
                }
            }
            checkUsable(recorder, device);
        }
    }

    /** Whether a call that blocked in {@code epoch} is still held back. Call with the lock held. */
    private boolean stillHung(SimulatedDevice device, long epoch) {
        return device.hangEpoch == epoch && device.present && !closed;
    }

    /** Throws if the device is gone or the handle closed. Call with the lock held. */
    void checkUsable(SimulatedRecorder recorder, SimulatedDevice device) {
        if (!device.present || devices.get(device.id) != device) {
            throw new RecorderRemovedException("simulated recorder " + device.id + " was removed", device.id);
        }
        if (recorder.closed) {
            throw new InvalidHandleException("the handle of simulated recorder " + device.id + " is closed",
                    device.id);
        }
    }

    void log(RecorderId id, String operation) {
        if (calls.size() == CALL_LOG_SIZE) {
            calls.removeFirst();
        }
        calls.addLast(new SimulatedCall(id, operation, Thread.currentThread().getName()));
    }

    /** The latency of every native call of the device, applied to a burn's writes too. */
    Duration latency(SimulatedDevice device) {
        synchronized (lock) {
            return device.latency;
        }
    }

    /** The disc image file of a recorder, in the disc directory (made on first use). Call with the lock held. */
    Path discImageFile(RecorderId recorder) {
        Path dir = discDirectory;
        try {
            if (dir == null) {
                dir = Files.createTempDirectory("discagent-sim-discs");
                dir.toFile().deleteOnExit();
                discDirectory = dir;
            } else {
                Files.createDirectories(dir);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("the simulated disc directory cannot be made", e);
        }
        Path file = dir.resolve(recorder.value().replaceAll("[^A-Za-z0-9._-]", "_") + ".img");
        if (settings.discDirectory() == null) {
            file.toFile().deleteOnExit();
        }
        return file;
    }

    /** What a device's drive reports about its disc. Call with the lock held. */
    static MediaInfo mediaOf(SimulatedDevice device) {
        List<MediaProfile> writes = List.of(MediaProfile.CD_R, MediaProfile.CD_RW, MediaProfile.DVD_DASH_R,
                MediaProfile.DVD_DASH_RW, MediaProfile.DVD_PLUS_R, MediaProfile.DVD_PLUS_RW,
                MediaProfile.DVD_PLUS_R_DL, MediaProfile.BD_R, MediaProfile.BD_RE);
        switch (device.media) {
            case NO_MEDIA:
                return MediaInfo.noMedium(TrayState.CLOSED, writes, "simulated");
            case TRAY_OPEN:
                return MediaInfo.noMedium(TrayState.OPEN, writes, "simulated");
            case UNKNOWN:
                return MediaInfo.unknown("simulated: the medium is unknown");
            default:
                break;
        }
        SimulatedDisc disc = device.disc;
        boolean writable = disc.profile().recordable() && !disc.writeProtected()
                && (disc.state() == DiscState.BLANK || disc.state() == DiscState.OVERWRITABLE);
        long free = switch (disc.state()) {
            case BLANK, OVERWRITABLE -> disc.capacityBytes();
            case APPENDABLE -> Math.max(0, disc.capacityBytes() - device.discWritten);
            default -> 0;
        };
        return new MediaInfo(TrayState.CLOSED, disc.profile(), disc.state(), writable, disc.capacityBytes(),
                disc.profile().recordable() && !disc.writeProtected() ? free : 0, writes,
                "simulated" + (disc.writeProtected() ? ", write-protected" : ""));
    }

    private static void sleep(Duration latency) {
        try {
            Thread.sleep(latency.toMillis(), latency.toNanosPart() % 1_000_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------------------------------------ Simulator

    @Override
    public List<RecorderId> recorders() {
        synchronized (lock) {
            List<RecorderId> present = new ArrayList<>();
            for (SimulatedDevice device : devices.values()) {
                if (device.present) {
                    present.add(device.id);
                }
            }
            return present;
        }
    }

    @Override
    public RecorderId addRecorder() {
        RecorderId id;
        synchronized (lock) {
            do {
                id = RecorderId.of("sim-" + nextId++);
            } while (devices.containsKey(id) && devices.get(id).present);
        }
        return addRecorder(id.value());
    }

    @Override
    public RecorderId addRecorder(String id) {
        RecorderId recorder = RecorderId.of(id);
        synchronized (lock) {
            SimulatedDevice existing = devices.get(recorder);
            if (existing != null && existing.present) {
                throw new IllegalStateException("simulated recorder " + id + " is already present");
            }
            if (existing != null) {
                retiredTaken += existing.locksTaken;
                retiredDropped += existing.locksDropped;
            }
            devices.put(recorder, newDevice(recorder));
            // under the lock: events reach the agent in the order the devices changed, however many threads flap
            if (listener != null) {
                listener.recorderArrived(descriptor(recorder));
            }
        }
        return recorder;
    }

    @Override
    public void removeRecorder(RecorderId recorder) {
        synchronized (lock) {
            SimulatedDevice device = device(recorder);
            device.present = false;
            if (device.holder != null) {
                device.locksDropped++; // the lock goes with the device
            }
            device.holder = null;
            device.holderName = null;
            device.blockedCalls = 0;
            lock.notifyAll();
            if (listener != null) {
                listener.recorderRemoved(recorder.value());
            }
        }
    }

    @Override
    public void setHandOver(HandOver mode) {
        if (mode == null) {
            throw new InvalidArgumentException("mode must not be null");
        }
        synchronized (lock) {
            handOver = mode;
        }
    }

    HandOver handOver() {
        synchronized (lock) {
            return handOver;
        }
    }

    @Override
    public void loseLock(RecorderId recorder) {
        synchronized (lock) {
            SimulatedDevice device = device(recorder);
            SimulatedRecorder holder = device.holder;
            if (holder == null) {
                return;
            }
            device.holder = null;
            device.holderName = null;
            device.locksDropped++;
            holder.lost = true;
            if (listener != null) {
                listener.lockLost(recorder.value(), new InvalidHandleException("simulated recorder " + recorder
                        + " lost its lock (a bus reset)", recorder));
            }
        }
    }

    @Override
    public void setOpenLatency(Duration latency) {
        if (InvalidArgumentException.requireNonNull(latency, "latency").isNegative()) {
            throw new InvalidArgumentException("latency must not be negative: " + latency);
        }
        synchronized (lock) {
            openLatency = latency;
        }
    }

    @Override
    public void lockExternally(RecorderId recorder, String owner) {
        InvalidArgumentException.requireNonNull(owner, "owner");
        synchronized (lock) {
            SimulatedDevice device = device(recorder);
            if (device.holder != null) {
                throw new RecorderLockedException("simulated recorder " + recorder + " is locked by the agent",
                        recorder, device.holderName);
            }
            device.externalOwner = owner;
        }
    }

    @Override
    public void unlockExternally(RecorderId recorder) {
        synchronized (lock) {
            device(recorder).externalOwner = null;
        }
    }

    @Override
    public void mountVolume(RecorderId recorder, String mountPoint) {
        synchronized (lock) {
            device(recorder).mountedAt = InvalidArgumentException.requireNonNull(mountPoint, "mountPoint");
        }
    }

    @Override
    public void unmountVolume(RecorderId recorder) {
        synchronized (lock) {
            device(recorder).mountedAt = null;
        }
    }

    @Override
    public void setLatency(RecorderId recorder, Duration latency) {
        if (InvalidArgumentException.requireNonNull(latency, "latency").isNegative()) {
            throw new InvalidArgumentException("latency must not be negative: " + latency);
        }
        synchronized (lock) {
            device(recorder).latency = latency;
        }
    }

    @Override
    public void failNext(RecorderId recorder, Operation operation, HResult hresult, int times) {
        InvalidArgumentException.requireNonNull(hresult, "hresult");
        addFault(recorder, operation, hresult, times);
    }

    @Override
    public void hangNext(RecorderId recorder, Operation operation, int times) {
        addFault(recorder, operation, null, times);
    }

    private void addFault(RecorderId recorder, Operation operation, @Nullable HResult failure, int times) {
        InvalidArgumentException.requireNonNull(operation, "operation");
        if (times < 1) {
            throw new InvalidArgumentException("times must be at least 1: " + times);
        }
        synchronized (lock) {
            device(recorder).faults.add(new SimulatedDevice.Fault(operation, failure, times));
        }
    }

    @Override
    public void releaseHangs(RecorderId recorder) {
        synchronized (lock) {
            SimulatedDevice device = device(recorder);
            device.hangEpoch++;
            device.blockedCalls = 0;
            device.faults.removeIf(f -> f.failure == null);
            lock.notifyAll();
        }
    }

    @Override
    public void changeMedia(RecorderId recorder, MediaState state) {
        synchronized (lock) {
            device(recorder).media = InvalidArgumentException.requireNonNull(state, "state");
            if (listener != null) {
                listener.mediaChanged(recorder.value(), state);
            }
        }
    }

    @Override
    public void insertDisc(RecorderId recorder, SimulatedDisc disc) {
        InvalidArgumentException.requireNonNull(disc, "disc");
        synchronized (lock) {
            SimulatedDevice device = device(recorder);
            device.disc = disc;
            device.discWritten = 0;
            device.media = MediaState.MEDIA_PRESENT;
            if (listener != null) {
                listener.mediaChanged(recorder.value(), MediaState.MEDIA_PRESENT);
            }
        }
    }

    @Override
    public void setBurnSpeed(RecorderId recorder, long bytesPerSecond) {
        if (bytesPerSecond <= 0) {
            throw new InvalidArgumentException("the burn speed must be positive: " + bytesPerSecond);
        }
        synchronized (lock) {
            device(recorder).burnSpeed = bytesPerSecond;
        }
    }

    @Override
    public void failBurnAt(RecorderId recorder, int percent, BurnFault fault) {
        InvalidArgumentException.requireNonNull(fault, "fault");
        if (percent < 0 || percent > 100) {
            throw new InvalidArgumentException("percent must be 0 to 100: " + percent);
        }
        synchronized (lock) {
            device(recorder).burnFault = new SimulatedDevice.PlannedBurnFault(percent, fault);
        }
    }

    @Override
    public Path discImage(RecorderId recorder) {
        synchronized (lock) {
            device(recorder);
            return discImageFile(recorder);
        }
    }

    @Override
    public void unlockTrayExternally(RecorderId recorder, @Nullable String culprit) {
        HotplugListener notify;
        synchronized (lock) {
            if (device(recorder).holder == null) {
                throw new IllegalStateException("the agent does not hold " + recorder + ": its tray is not locked");
            }
            notify = listener;
        }
        if (notify != null) {
            notify.trayUnlocked(recorder.value(), culprit, false, true);
        }
    }

    @Override
    public void pressEjectButton(RecorderId recorder) {
        HotplugListener notify;
        synchronized (lock) {
            device(recorder);
            notify = listener;
        }
        if (notify != null) {
            notify.ejectRequested(recorder.value());
        }
    }

    @Override
    public SimulatedDeviceState state(RecorderId recorder) {
        synchronized (lock) {
            SimulatedDevice device = devices.get(recorder);
            if (device == null) {
                throw new RecorderRemovedException("no simulated recorder " + recorder, recorder);
            }
            return device.snapshot();
        }
    }

    @Override
    public LockCounts lockCounts() {
        synchronized (lock) {
            long taken = retiredTaken;
            long dropped = retiredDropped;
            for (SimulatedDevice device : devices.values()) {
                taken += device.locksTaken;
                dropped += device.locksDropped;
            }
            return new LockCounts(taken, dropped);
        }
    }

    @Override
    public List<SimulatedCall> calls() {
        synchronized (lock) {
            return List.copyOf(calls);
        }
    }

    private SimulatedDevice device(RecorderId recorder) {
        SimulatedDevice device = devices.get(InvalidArgumentException.requireNonNull(recorder, "recorder"));
        if (device == null || !device.present) {
            throw new RecorderRemovedException("no simulated recorder " + recorder + " is present", recorder);
        }
        return device;
    }
}
