package io.discagent.agent.backend.linux;

import io.discagent.agent.backend.linux.jna.DeviceFd;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The descriptors one backend has open on devices (claims and short probes), so that owner discovery never names the
 * agent itself as a foreign holder. Thread-safe: recorder workers and the control worker register and unregister.
 */
final class OwnDescriptors {

    private final Set<Integer> open = ConcurrentHashMap.newKeySet();

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

    /** Whether descriptor {@code fd} of this process is one of ours. */
    boolean contains(int fd) {
        return open.contains(fd);
    }
}
