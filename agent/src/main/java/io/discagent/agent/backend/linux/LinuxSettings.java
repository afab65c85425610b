package io.discagent.agent.backend.linux;

import io.discagent.agent.spi.BackendConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The Linux backend's properties.
 *
 * @param devices {@code linux.devices}: extra block device nodes to offer, comma-separated (e.g. {@code /dev/loop7})
 * @param scanOptical {@code linux.scanOptical} (default true): offer every optical drive ({@code /dev/sr*})
 * @param hotplugPollInterval {@code linux.hotplugPollMillis} (default 50): how often the control worker reads the
 *     uevent socket while idle
 * @param scsiTimeoutMillis {@code linux.scsiTimeoutMillis} (default 5000): the kernel timeout of each SCSI command
 * @param kernelEventPollMillis {@code linux.kernelEventPollMillis} (default 2000; 0 leaves the system alone): the
 *     in-kernel media polling interval set on optical drives whose polling is off (what udev's
 *     {@code 60-block.rules} does; without it the kernel sends no media-change uevents)
 * @param burnTool {@code linux.burnTool} (default {@code xorriso}): the program that burns, a name on the
 *     {@code PATH} or a path
 * @param burnStopTimeout {@code linux.burnStopMillis} (default 30000): how long a stopped burn's tool has after
 *     {@code SIGINT} to release the drive before it gets {@code SIGKILL}
 * @param keepClaimOnHandOver {@code linux.handOver} ({@code keep}, the default, or {@code reacquire}): whether the
 *     claim stays taken when the agent passes a drive from one client to the next, or is dropped and taken again
 *     (only for comparison: it lets another process in between)
 */
record LinuxSettings(List<Path> devices, boolean scanOptical, Duration hotplugPollInterval, int scsiTimeoutMillis,
        int kernelEventPollMillis, String burnTool, Duration burnStopTimeout, boolean keepClaimOnHandOver) {

    LinuxSettings {
        devices = List.copyOf(devices);
        if (hotplugPollInterval.isNegative() || hotplugPollInterval.isZero()) {
            throw new IllegalArgumentException("linux.hotplugPollMillis must be positive");
        }
        if (scsiTimeoutMillis <= 0) {
            throw new IllegalArgumentException("linux.scsiTimeoutMillis must be positive");
        }
        if (kernelEventPollMillis < 0) {
            throw new IllegalArgumentException("linux.kernelEventPollMillis must not be negative");
        }
        if (burnTool.isBlank()) {
            throw new IllegalArgumentException("linux.burnTool must name a program");
        }
        if (burnStopTimeout.isNegative() || burnStopTimeout.isZero()) {
            throw new IllegalArgumentException("linux.burnStopMillis must be positive");
        }
    }

    static LinuxSettings from(BackendConfig config) {
        List<Path> devices = new ArrayList<>();
        for (String path : config.get("linux.devices", "").split(",")) {
            if (!path.isBlank()) {
                devices.add(Path.of(path.trim()));
            }
        }
        String handOver = config.get("linux.handOver", "keep").trim();
        if (!handOver.equals("keep") && !handOver.equals("reacquire")) {
            throw new IllegalArgumentException("linux.handOver must be keep or reacquire: " + handOver);
        }
        return new LinuxSettings(devices, Boolean.parseBoolean(config.get("linux.scanOptical", "true").trim()),
                config.getMillis("linux.hotplugPollMillis", Duration.ofMillis(50)),
                config.getInt("linux.scsiTimeoutMillis", 5000), config.getInt("linux.kernelEventPollMillis", 2000),
                config.get("linux.burnTool", "xorriso").trim(),
                config.getMillis("linux.burnStopMillis", Duration.ofSeconds(30)),
                handOver.equals("keep"));
    }
}
