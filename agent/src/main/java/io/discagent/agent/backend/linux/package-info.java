/**
 * The Linux backend: IMAPI2's exclusive access for optical drives and configured block devices, built from the
 * kernel's {@code O_EXCL} claim, {@code flock}, a POSIX record lock and SCSI tray locking, with owners of foreign
 * holds named from procfs/sysfs and hotplug from raw kernel uevents. See {@link
 * io.discagent.agent.backend.linux.LinuxBackend} for the threads, and {@code docs/linux.md} for running it.
 */
@NullMarked
package io.discagent.agent.backend.linux;

import org.jspecify.annotations.NullMarked;
