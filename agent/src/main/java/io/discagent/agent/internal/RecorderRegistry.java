package io.discagent.agent.internal;

import io.discagent.agent.spi.NativeWorkerKind;
import io.discagent.agent.spi.RecorderBackend;
import io.discagent.agent.spi.RecorderDescriptor;
import io.discagent.api.RecorderId;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RecorderRemovedException;
import io.discagent.api.error.RequestCancelledException;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Which recorders the agent has: arrivals, removals and the opening in between. Event loop only.
 *
 * <p>The backend's events are applied in the order they come, whatever the agent is doing with the recorder at the
 * time. Each recorder id has an entry; while its handle is being opened on its worker, later events only change what
 * the entry should end as ({@code wanted}) and bump its generation. When the open completes, a generation that moved
 * means the handle may belong to a device that has left since: it is closed, and opened again if the device is
 * wanted, or dropped if not. So however fast a device flaps, once the events stop the agent's recorders are exactly
 * the backend's.
 */
final class RecorderRegistry {

    private static final System.Logger LOG = System.getLogger(RecorderRegistry.class.getName());

    /** What the slots need, and where arrivals are published. */
    interface Host {
        SlotContext slotContext();

        void publishArrival(RecorderSlot slot);

        boolean isClosed();
    }

    private static final class Entry {
        final RecorderId id;
        RecorderDescriptor descriptor;
        /** The open slot, or null while opening. */
        @Nullable RecorderSlot slot;
        /** Whether the backend's latest word is that the device is present. */
        boolean wanted = true;
        /** Bumped by every event that arrives while the handle is opening. */
        int generation;
        final long arrival;

        Entry(RecorderDescriptor descriptor, long arrival) {
            this.id = RecorderId.of(descriptor.id());
            this.descriptor = descriptor;
            this.arrival = arrival;
        }
    }

    private final RecorderBackend backend;
    private final Host host;
    private final Map<RecorderId, Entry> entries = new LinkedHashMap<>();
    private long arrivals;

    RecorderRegistry(RecorderBackend backend, Host host) {
        this.backend = backend;
        this.host = host;
    }

    /** The open recorder with this id, or null. */
    @Nullable RecorderSlot slot(RecorderId id) {
        Entry entry = entries.get(id);
        return entry == null ? null : entry.slot;
    }

    /** The open recorders, in arrival order. */
    List<RecorderSlot> slots() {
        List<RecorderSlot> open = new ArrayList<>(entries.size());
        for (Entry entry : entries.values()) {
            if (entry.slot != null) {
                open.add(entry.slot);
            }
        }
        open.sort(Comparator.comparingLong(s -> s.arrival));
        return open;
    }

    /** How many recorders are being opened. */
    int opening() {
        int n = 0;
        for (Entry entry : entries.values()) {
            if (entry.slot == null) {
                n++;
            }
        }
        return n;
    }

    /**
     * A recorder arrived (enumeration or hotplug).
     *
     * @param opened runs once this arrival has been dealt with (opened, ignored or superseded), for the start-up
     */
    void arrived(RecorderDescriptor descriptor, @Nullable Runnable opened) {
        RecorderId id = RecorderId.of(descriptor.id());
        Entry entry = entries.get(id);
        if (host.isClosed()) {
            run(opened);
            return;
        }
        if (entry == null) {
            entry = new Entry(descriptor, ++arrivals);
            entries.put(id, entry);
            open(entry, opened);
        } else if (entry.slot == null) {
            entry.wanted = true; // arrived again while its handle opens: open a fresh one when that open completes
            entry.generation++;
            entry.descriptor = descriptor;
            run(opened);
        } else {
            LOG.log(Level.DEBUG, "recorder " + id + " arrived again while open; ignored");
            run(opened);
        }
    }

    /** The backend says a recorder left. */
    void removed(RecorderId id) {
        Entry entry = entries.get(id);
        if (entry == null) {
            return;
        }
        if (entry.slot == null) {
            entry.wanted = false;
            entry.generation++;
            return;
        }
        entries.remove(id);
        entry.slot.remove(new RecorderRemovedException("recorder " + id + " was removed", id));
    }

    /** A native call of {@code slot} said its device does not exist. */
    void deviceGone(RecorderSlot slot) {
        Entry entry = entries.get(slot.id);
        if (entry != null && entry.slot == slot) {
            entries.remove(slot.id);
            slot.remove(slot.removedError());
        }
    }

    /** Every open slot, for the agent's close; the registry is empty afterwards. */
    Collection<RecorderSlot> clear() {
        List<RecorderSlot> open = slots();
        entries.clear();
        return open;
    }

    private void open(Entry entry, @Nullable Runnable opened) {
        int generation = entry.generation;
        SlotContext ctx = host.slotContext();
        NativeWorker worker = new NativeWorker(threadName(entry.id), backend.threadHooks(NativeWorkerKind.RECORDER))
                .start();
        RecorderHandle handle = new RecorderHandle(backend, entry.descriptor, worker);
        RecorderSlot slot = new RecorderSlot(ctx, entry.descriptor, worker, handle, entry.arrival);
        worker.execute(() -> {
            RecorderException failure = null;
            boolean polling = false;
            try {
                handle.open();
                polling = handle.get().supportsMediaPolling();
            } catch (Throwable t) {
                failure = NativeCalls.asRecorderException(t, entry.id, "open");
            }
            RecorderException error = failure;
            boolean mediaPolling = polling;
            ctx.loop().execute(() -> opened(entry, generation, slot, error, mediaPolling, opened));
        });
    }

    private void opened(Entry entry, int generation, RecorderSlot slot, @Nullable RecorderException error,
            boolean mediaPolling, @Nullable Runnable opened) {
        boolean current = entries.get(entry.id) == entry;
        if (!current || host.isClosed() || entry.generation != generation || error != null) {
            slot.shutdown(new RequestCancelledException("the recorder was not kept", slot.id), () -> { });
            if (current && !host.isClosed() && entry.generation != generation && entry.wanted) {
                LOG.log(Level.DEBUG, "recorder " + entry.id + " changed while it opened; opening it again");
                open(entry, opened); // the device left and came back while opening: this handle may be stale
                return;
            }
            if (current) {
                entries.remove(entry.id);
            }
            if (error != null && !(error instanceof RecorderRemovedException)) {
                LOG.log(Level.WARNING, "recorder " + entry.id + " could not be opened; it is ignored", error);
            }
            run(opened);
            return;
        }
        entry.slot = slot;
        slot.enableMediaPolling(mediaPolling);
        host.publishArrival(slot);
        run(opened);
    }

    private static void run(@Nullable Runnable task) {
        if (task != null) {
            task.run();
        }
    }

    /**
     * {@code discagent-native-<id>}; a long id (IMAPI2's unique ids share their prefix and their interface GUID) is
     * shortened to its start and a hash of the whole, so two recorders never share a thread name.
     */
    static String threadName(RecorderId id) {
        String clean = id.value().replaceAll("[^A-Za-z0-9._-]", "_");
        if (clean.length() > 40) {
            clean = clean.substring(0, 28) + "-" + String.format("%08x", id.value().hashCode());
        }
        return "discagent-native-" + clean;
    }
}
