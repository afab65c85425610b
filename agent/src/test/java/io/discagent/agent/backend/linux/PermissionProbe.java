package io.discagent.agent.backend.linux;

import io.discagent.agent.spi.BackendConfig;
import io.discagent.agent.spi.BackendRecorder;
import io.discagent.agent.spi.RecorderDescriptor;
import io.discagent.api.error.RecorderException;
import java.util.List;
import java.util.Map;

/**
 * Run by {@link LoopPermissionTests} as an unprivileged user: opens the Linux backend on one node, acquires it and
 * prints {@code ACQUIRED read-only|read-write access=...} or {@code FAILED <hresult> <type> <message>}.
 */
public final class PermissionProbe {

    private PermissionProbe() {
    }

    public static void main(String[] args) {
        LinuxBackend backend = new LinuxBackend(new BackendConfig(Map.of("linux.devices", args[0],
                "linux.scanOptical", "false")));
        try {
            List<RecorderDescriptor> found = backend.enumerate();
            if (found.isEmpty()) {
                System.out.println("NOT FOUND " + args[0]);
                return;
            }
            RecorderDescriptor descriptor = found.get(0);
            BackendRecorder recorder = backend.open(descriptor);
            try {
                recorder.acquireExclusiveAccess(false, "Unprivileged Probe");
                DeviceClaim claim = ((LinuxRecorder) recorder).claim();
                System.out.println("ACQUIRED " + (claim != null && claim.readOnly() ? "read-only" : "read-write")
                        + " access=" + descriptor.attributes().get("access"));
                recorder.releaseExclusiveAccess();
            } catch (RecorderException e) {
                System.out.println("FAILED " + e.hresult().hex() + " " + e.getClass().getSimpleName() + " "
                        + e.getMessage());
            } finally {
                recorder.close();
            }
        } finally {
            backend.close();
        }
    }
}
