package io.discagent.agent.backend.linux;

import io.discagent.agent.spi.BackendConfig;
import io.discagent.agent.spi.BackendRecorder;
import io.discagent.agent.spi.HotplugListener;
import io.discagent.agent.spi.NativeThreadHooks;
import io.discagent.agent.spi.NativeWorkerKind;
import io.discagent.agent.spi.RecorderBackend;
import io.discagent.agent.spi.RecorderDescriptor;
import io.discagent.api.RecorderId;
import io.discagent.api.error.RecorderRemovedException;
import io.discagent.api.event.MediaChangedEvent.MediaState;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Real optical drives (and configured block devices) on Linux, through JNA: IMAPI2's exclusive access built from the
 * kernel's {@code O_EXCL} claim, {@code flock}, a POSIX record lock and SCSI PREVENT ALLOW MEDIUM REMOVAL (see
 * {@link DeviceClaim}); owners of foreign holds found in procfs and sysfs ({@link OwnerDiscovery}); hotplug from raw
 * kernel uevents ({@link HotplugMonitor}).
 *
 * <h2>Threads</h2>
 * {@link #enumerate}, {@link #startHotplug}, {@link #close} and the control worker's idle hook (which drains the
 * uevent socket) run on {@code discagent-native-control}; {@link #open} and every call of the returned
 * {@link LinuxRecorder} on that recorder's worker. Shared between them, and thread-safe: the map of present devices,
 * the set of the backend's own descriptors, and the hotplug listener (recorder workers report the media state they
 * read after a claim through it). Everything else is confined.
 */
public final class LinuxBackend implements RecorderBackend {

    /** The backend's name. */
    public static final String NAME = "linux";

    private static final System.Logger LOG = System.getLogger(LinuxBackend.class.getName());
    private static final Path DEFAULT_EVENT_POLL = Path.of("/sys/module/block/parameters/events_dfl_poll_msecs");

    private final LinuxSettings settings;
    private final DeviceScanner scanner;
    private final OwnDescriptors own = new OwnDescriptors();
    private final OwnerDiscovery owners = new OwnerDiscovery(own);
    private final Map<String, LinuxDevice> devices = new ConcurrentHashMap<>();
    private final HotplugMonitor hotplug;
    private volatile @Nullable HotplugListener listener;

    /** A backend configured by the {@code linux.*} properties (see {@link LinuxSettings}). */
    public LinuxBackend(BackendConfig config) {
        this(LinuxSettings.from(config));
    }

    LinuxBackend(LinuxSettings settings) {
        this.settings = settings;
        this.scanner = new DeviceScanner(settings.scanOptical(), settings.devices());
        this.hotplug = new HotplugMonitor(scanner, devices, this::enableKernelMediaEvents, own,
                settings.scsiTimeoutMillis());
    }

    @Override
    public String name() {
        return NAME;
    }

    /** The control worker polls the uevent socket while idle; recorder workers need nothing. */
    @Override
    public NativeThreadHooks threadHooks(NativeWorkerKind kind) {
        if (kind != NativeWorkerKind.CONTROL) {
            return NativeThreadHooks.NONE;
        }
        Duration interval = settings.hotplugPollInterval();
        return new NativeThreadHooks() {
            @Override
            public void onIdle() {
                hotplug.poll();
            }

            @Override
            public Duration idleInterval() {
                return interval;
            }

            @Override
            public void onStop() {
                hotplug.close();
            }
        };
    }

    @Override
    public List<RecorderDescriptor> enumerate() {
        hotplug.open();
        List<LinuxDevice> found = scanner.scan();
        devices.clear();
        List<RecorderDescriptor> descriptors = new ArrayList<>(found.size());
        for (LinuxDevice device : found) {
            devices.put(device.name(), device);
            enableKernelMediaEvents(device);
            descriptors.add(device.descriptor());
        }
        LOG.log(Level.DEBUG, "found {0} recorder(s): {1}", found.size(), devices.keySet());
        return descriptors;
    }

    @Override
    public BackendRecorder open(RecorderDescriptor descriptor) {
        LinuxDevice device = devices.get(descriptor.id());
        if (device == null) {
            throw new RecorderRemovedException(descriptor.paths() + " is gone", RecorderId.of(descriptor.id()));
        }
        return new LinuxRecorder(device, settings.scsiTimeoutMillis(), own, owners, reports, settings.burnTool(),
                settings.burnStopTimeout(), settings.keepClaimOnHandOver());
    }

    @Override
    public void startHotplug(HotplugListener listener) {
        this.listener = listener;
        hotplug.start(listener);
    }

    @Override
    public void close() {
        listener = null;
        hotplug.close();
    }

    /** What recorder workers report about held drives: passed on once hotplug reporting has started. */
    private final DriveReports reports = new DriveReports() {
        @Override
        public void media(String id, MediaState state) {
            HotplugListener l = listener;
            if (l != null) {
                l.mediaChanged(id, state);
            }
        }

        @Override
        public void trayUnlocked(String id, @Nullable String culprit, boolean trayOpened, boolean relocked) {
            HotplugListener l = listener;
            if (l != null) {
                l.trayUnlocked(id, culprit, trayOpened, relocked);
            }
        }

        @Override
        public void ejectRequested(String id) {
            HotplugListener l = listener;
            if (l != null) {
                l.ejectRequested(id);
            }
        }
    };

    /**
     * Turns the kernel's media polling on for an optical drive whose polling is off and whose system default is off
     * (no udev), so that media changes produce uevents. Needs root; otherwise nothing happens.
     */
    private void enableKernelMediaEvents(LinuxDevice device) {
        int millis = settings.kernelEventPollMillis();
        if (!device.optical() || millis == 0) {
            return;
        }
        Path own = device.sysfs().resolve("events_poll_msecs");
        if ("-1".equals(Sysfs.read(own)) && "0".equals(Sysfs.read(DEFAULT_EVENT_POLL))
                && Sysfs.write(own, Integer.toString(millis))) {
            LOG.log(Level.INFO, "kernel media polling was off for {0}; set to {1} ms", device.name(), millis);
        }
    }
}
