package io.discagent.agent.spi;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A recorder as a backend enumerates it.
 *
 * @param id the recorder id, unique within the backend and stable while the device is present
 * @param vendor the vendor id
 * @param product the product id
 * @param revision the product revision
 * @param paths device or volume paths
 * @param attributes anything else worth showing (bus, sysfs path, capabilities)
 */
public record RecorderDescriptor(String id, String vendor, String product, String revision, List<String> paths,
        Map<String, String> attributes) {

    public RecorderDescriptor {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(vendor, "vendor");
        Objects.requireNonNull(product, "product");
        Objects.requireNonNull(revision, "revision");
        paths = List.copyOf(paths);
        attributes = Map.copyOf(attributes);
    }
}
