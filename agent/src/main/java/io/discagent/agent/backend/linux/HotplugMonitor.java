package io.discagent.agent.backend.linux;

import io.discagent.agent.backend.linux.jna.DeviceFd;
import io.discagent.agent.backend.linux.jna.Linux;
import io.discagent.agent.backend.linux.jna.NativeCallException;
import io.discagent.agent.backend.linux.jna.NetlinkSocket;
import io.discagent.agent.spi.HotplugListener;
import io.discagent.api.event.MediaChangedEvent.MediaState;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Hotplug without udevd: a non-blocking {@code NETLINK_KOBJECT_UEVENT} socket, drained from the control worker's
 * idle hook, so no thread of its own is needed. For block disks that concern the backend it reports arrivals
 * ({@code add}, a configured loop device attached), removals ({@code remove}, a loop device detached) and media
 * changes ({@code DISK_MEDIA_CHANGE}/{@code DISK_EJECT_REQUEST} on an optical drive that the backend does not hold,
 * whose state a short probe then reads; a held drive is polled on its own worker instead, so that a drive that hangs
 * or vanishes mid-command stalls only its worker). If the kernel dropped messages ({@code ENOBUFS}) it rescans sysfs
 * and reports the difference.
 *
 * <p>Confined to the control worker ({@code discagent-native-control}).
 */
final class HotplugMonitor implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(HotplugMonitor.class.getName());
    private static final int MAX_MESSAGES_PER_POLL = 256;

    private final DeviceScanner scanner;
    private final Map<String, LinuxDevice> known;
    private final Consumer<LinuxDevice> onArrival;
    private final OwnDescriptors own;
    private final int scsiTimeoutMillis;
    private @Nullable NetlinkSocket socket;
    private @Nullable HotplugListener listener;
    private boolean opened;

    /**
     * @param known the devices reported present, by kernel name; this monitor keeps it up to date
     * @param onArrival runs for every device that arrives, before the listener hears of it
     */
    HotplugMonitor(DeviceScanner scanner, Map<String, LinuxDevice> known, Consumer<LinuxDevice> onArrival,
            OwnDescriptors own, int scsiTimeoutMillis) {
        this.scanner = scanner;
        this.known = known;
        this.onArrival = onArrival;
        this.own = own;
        this.scsiTimeoutMillis = scsiTimeoutMillis;
    }

    /** Opens the socket (before the first scan, so that nothing between the scan and {@link #start} is missed). */
    void open() {
        if (opened) {
            return;
        }
        opened = true;
        try {
            socket = NetlinkSocket.openUevents();
        } catch (NativeCallException e) {
            LOG.log(Level.WARNING, "no kernel uevents ({0}): recorders that arrive or leave will not be noticed",
                    e.getMessage());
        }
    }

    /** Starts reporting to {@code listener}, beginning with what queued up since {@link #open}. */
    void start(HotplugListener listener) {
        this.listener = listener;
        poll();
    }

    /** Handles every queued uevent; returns at once when none is queued. */
    void poll() {
        NetlinkSocket s = socket;
        if (s == null || listener == null) {
            return;
        }
        for (int i = 0; i < MAX_MESSAGES_PER_POLL; i++) {
            byte[] datagram;
            try {
                datagram = s.receive();
            } catch (NativeCallException e) {
                if (e.is(Linux.ENOBUFS)) {
                    LOG.log(Level.INFO, "the kernel dropped uevents; rescanning the devices");
                    rescan();
                    continue;
                }
                LOG.log(Level.WARNING, "reading uevents failed: {0}", e.getMessage());
                return;
            }
            if (datagram == null) {
                return;
            }
            Uevent event = Uevent.parse(datagram);
            if (event != null) {
                handle(event);
            }
        }
    }

    void handle(Uevent event) {
        if (!event.subsystem().equals("block") || !event.devtype().equals("disk")) {
            return;
        }
        String name = event.name();
        LinuxDevice before = known.get(name);
        if (before == null && !scanner.mayConcern(name)) {
            return;
        }
        if (event.action().equals("remove")) {
            if (before != null) {
                LOG.log(Level.INFO, "{0} was removed (uevent remove@{1})", before.node(), event.devpath());
                removed(name);
            }
            return;
        }
        Optional<LinuxDevice> now = scanner.find(name);
        if (now.isEmpty()) {
            if (before != null) {
                LOG.log(Level.INFO, "{0} is gone (uevent {1}@{2})", before.node(), event.action(), event.devpath());
                removed(name); // e.g. a configured loop device detached
            }
            return;
        }
        LinuxDevice device = now.get();
        if (before != null && (event.action().equals("add") || !before.number().equals(device.number()))) {
            removed(name); // replaced while we were not looking
            before = null;
        }
        if (before == null) {
            LOG.log(Level.INFO, "{0} arrived (uevent {1}@{2})", device.node(), event.action(), event.devpath());
            arrived(device);
        } else if (event.mediaEvent() && device.optical()) {
            mediaChanged(device, event);
        }
    }

    /** Compares a fresh scan with what was reported, and reports the difference. */
    void rescan() {
        List<LinuxDevice> present = scanner.scan();
        Set<String> names = new HashSet<>();
        for (LinuxDevice device : present) {
            names.add(device.name());
        }
        for (String name : new ArrayList<>(known.keySet())) {
            if (!names.contains(name)) {
                removed(name);
            }
        }
        for (LinuxDevice device : present) {
            LinuxDevice before = known.get(device.name());
            if (before != null && !before.number().equals(device.number())) {
                removed(device.name());
                before = null;
            }
            if (before == null) {
                arrived(device);
            }
        }
    }

    private void arrived(LinuxDevice device) {
        known.put(device.name(), device);
        onArrival.accept(device);
        LOG.log(Level.DEBUG, "recorder {0} arrived ({1})", device.name(), device.node());
        listener().recorderArrived(device.descriptor());
    }

    private void removed(String name) {
        known.remove(name);
        LOG.log(Level.DEBUG, "recorder {0} left", name);
        listener().recorderRemoved(name);
    }

    private void mediaChanged(LinuxDevice device, Uevent event) {
        if (event.ejectRequest()) {
            LOG.log(Level.INFO, "eject requested on {0} (its tray is locked)", device.node());
            listener().ejectRequested(device.name());
        }
        if (own.holds(device.name())) {
            return; // the recorder polls its held descriptor on its own worker; no probe from this thread
        }
        MediaState state = probe(device);
        if (state != null) {
            listener().mediaChanged(device.name(), state);
        }
    }

    /** Reads the media state through a short, non-exclusive descriptor. */
    private @Nullable MediaState probe(LinuxDevice device) {
        DeviceFd fd;
        try {
            fd = own.open(device.node().toString(), Linux.O_RDONLY | Linux.O_NONBLOCK | Linux.O_CLOEXEC);
        } catch (NativeCallException e) {
            LOG.log(Level.DEBUG, "media probe of {0}: {1}", device.node(), e.getMessage());
            return null;
        }
        try {
            return MediaProbe.probe(fd, scsiTimeoutMillis);
        } catch (NativeCallException e) {
            LOG.log(Level.DEBUG, "media probe of {0}: {1}", device.node(), e.getMessage());
            return null;
        } finally {
            try {
                own.close(fd);
            } catch (NativeCallException ignored) {
                // gone either way
            }
        }
    }

    private HotplugListener listener() {
        HotplugListener l = listener;
        if (l == null) {
            throw new IllegalStateException("hotplug not started");
        }
        return l;
    }

    @Override
    public void close() {
        listener = null;
        NetlinkSocket s = socket;
        socket = null;
        if (s != null) {
            s.close();
        }
    }
}
