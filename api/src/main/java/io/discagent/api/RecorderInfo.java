package io.discagent.api;

import java.util.List;
import java.util.Objects;

/**
 * What the agent knows of a recorder.
 *
 * @param id its id
 * @param vendor the SCSI vendor id (or the simulated vendor)
 * @param product the SCSI product id
 * @param revision the product revision
 * @param backend the backend that drives it ({@code simulated}, {@code linux}, {@code windows})
 * @param paths device paths or volume paths (for example {@code /dev/sr0}, or {@code D:\})
 * @param lockState who holds it through this agent
 */
public record RecorderInfo(RecorderId id, String vendor, String product, String revision, String backend,
        List<String> paths, LockState lockState) {

    public RecorderInfo {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(vendor, "vendor");
        Objects.requireNonNull(product, "product");
        Objects.requireNonNull(revision, "revision");
        Objects.requireNonNull(backend, "backend");
        paths = List.copyOf(paths);
        Objects.requireNonNull(lockState, "lockState");
    }
}
