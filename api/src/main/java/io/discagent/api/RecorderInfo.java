package io.discagent.api;

import io.discagent.api.error.InvalidArgumentException;
import java.util.List;

/**
 * What the agent knows of a recorder.
 *
 * @param id its id
 * @param vendor the SCSI vendor id (or the simulated vendor)
 * @param product the SCSI product id
 * @param revision the product revision
 * @param backend the backend that drives it ({@code simulated}, {@code linux}, {@code windows})
 * @param paths device paths or volume paths (for example {@code /dev/sr0}, or {@code D:\})
 * @param lockState who holds it: a session of this agent, a holder outside the agent, or nobody
 */
public record RecorderInfo(RecorderId id, String vendor, String product, String revision, String backend,
        List<String> paths, LockState lockState) {

    /**
     * Checks the components and copies {@code paths}.
     *
     * @param id its id
     * @param vendor the SCSI vendor id (or the simulated vendor)
     * @param product the SCSI product id
     * @param revision the product revision
     * @param backend the backend that drives it
     * @param paths device paths or volume paths
     * @param lockState who holds it
     * @throws InvalidArgumentException ({@code E_INVALIDARG}) if any component is
     *     {@code null}
     */
    public RecorderInfo {
        InvalidArgumentException.requireNonNull(id, "id");
        InvalidArgumentException.requireNonNull(vendor, "vendor");
        InvalidArgumentException.requireNonNull(product, "product");
        InvalidArgumentException.requireNonNull(revision, "revision");
        InvalidArgumentException.requireNonNull(backend, "backend");
        paths = List.copyOf(InvalidArgumentException.requireNonNull(paths, "paths"));
        InvalidArgumentException.requireNonNull(lockState, "lockState");
    }
}
