package io.discagent.agent.backend.linux;

import io.discagent.agent.backend.linux.jna.DeviceFd;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What one backend has open: its descriptors on devices (claims and short probes), so that owner discovery never
 * names the agent itself as a foreign holder, and the devices it holds a claim on, whose media the recorder's own
 * polling watches. Thread-safe: recorder workers and the control worker register and unregister.
 */
final class OwnDescriptors {

    private final Set<Integer> open = ConcurrentHashMap.newKeySet();
    private final Set<String> claimed = ConcurrentHashMap.newKeySet();

    /** Opens {@code path} with {@code flags} and remembers the descriptor until {@link #close}. */
    DeviceFd open(String path, int flags) {
        DeviceFd fd = DeviceFd.open(path, flags);
        open.add(fd.number());
        return fd;
    }

    /** Closes a descriptor opened with {@link #open}. */
    void close(DeviceFd fd) {
        try {
            fd.close();
        } finally {
            open.remove(fd.number());
        }
    }

    /** A claim on device {@code name} was taken ({@code true}) or dropped ({@code false}). */
    void claimed(String name, boolean held) {
        if (held) {
            claimed.add(name);
        } else {
            claimed.remove(name);
        }
    }

    /** Whether this backend holds a claim on device {@code name}. */
    boolean holds(String name) {
        return claimed.contains(name);
    }

    /** Whether descriptor {@code fd} of this process is one of ours. */
    boolean contains(int fd) {
        return open.contains(fd);
    }
}
