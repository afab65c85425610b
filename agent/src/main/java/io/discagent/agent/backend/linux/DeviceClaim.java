package io.discagent.agent.backend.linux;

import io.discagent.agent.backend.linux.jna.DeviceFd;
import io.discagent.agent.backend.linux.jna.Linux;
import io.discagent.agent.backend.linux.jna.NativeCallException;
import io.discagent.agent.backend.linux.jna.SgIoResult;
import io.discagent.api.error.RecorderException;
import java.lang.System.Logger.Level;
import org.jspecify.annotations.Nullable;

/**
 * The native exclusive hold on one device, taken in the order of the reference's mapping (linux.md section 7):
 * <ol>
 * <li>{@code open(O_RDWR|O_NONBLOCK|O_EXCL|O_CLOEXEC)}: the kernel claim, which mount, wodim, libburn and growisofs
 * respect (read-only fallback when writing is refused);</li>
 * <li>{@code flock(LOCK_EX|LOCK_NB)} on the same descriptor: keeps systemd-udevd and other well-behaved tools
 * away;</li>
 * <li>{@code fcntl(F_SETLK)} over the whole device: libburn's own lock, for interoperability;</li>
 * <li>on optical drives, PREVENT ALLOW MEDIUM REMOVAL (prevent) through SG_IO, so the tray stays shut while held.
 * Never {@code CDROM_LOCKDOOR}, whose lock outlives the process.</li>
 * </ol>
 * Closing the descriptor drops all of it; the kernel does the same when the process dies, even by {@code SIGKILL}
 * (the cdrom layer unlocks the tray at the last close).
 *
 * <p>Confined to the recorder's native worker.
 */
final class DeviceClaim {

    private static final System.Logger LOG = System.getLogger(DeviceClaim.class.getName());
    private static final int CLAIM_FLAGS = Linux.O_NONBLOCK | Linux.O_EXCL | Linux.O_CLOEXEC;

    private final LinuxDevice device;
    private final OwnDescriptors own;
    private final LinuxErrors errors;
    private final DeviceFd fd;
    private boolean trayLocked;
    private @Nullable String trayLockProblem;

    private DeviceClaim(LinuxDevice device, OwnDescriptors own, LinuxErrors errors, DeviceFd fd) {
        this.device = device;
        this.own = own;
        this.errors = errors;
        this.fd = fd;
    }

    /**
     * Takes the hold, or throws the typed failure and holds nothing.
     *
     * @throws RecorderException {@code E_IMAPI_RECORDER_LOCKED} (another holder, named when possible),
     *     {@code ERROR_DEV_NOT_EXIST}, {@code E_ACCESSDENIED}, {@code E_IMAPI_RECORDER_COMMAND_TIMEOUT}
     */
    static DeviceClaim take(LinuxDevice device, OwnDescriptors own, LinuxErrors errors, int scsiTimeoutMillis) {
        DeviceFd fd = openExclusive(device, own, errors);
        DeviceClaim claim = new DeviceClaim(device, own, errors, fd);
        try {
            claim.lock();
            if (device.optical()) {
                claim.preventRemoval(scsiTimeoutMillis);
            }
            own.claimed(device.name(), true);
            return claim;
        } catch (RuntimeException e) {
            claim.closeDescriptor();
            throw e;
        }
    }

    private static DeviceFd openExclusive(LinuxDevice device, OwnDescriptors own, LinuxErrors errors) {
        String node = device.node().toString();
        try {
            return own.open(node, Linux.O_RDWR | CLAIM_FLAGS);
        } catch (NativeCallException e) {
            if (!e.is(Linux.EACCES, Linux.EPERM, Linux.EROFS)) {
                throw errors.of(e, OwnerDiscovery.Conflict.CLAIM);
            }
            try {
                DeviceFd readOnly = own.open(node, Linux.O_RDONLY | CLAIM_FLAGS);
                LOG.log(Level.WARNING, "{0} refused writing ({1}); holding it read-only: tray locking and writing "
                        + "commands may be refused", node, e.getMessage());
                return readOnly;
            } catch (NativeCallException second) {
                throw errors.of(second.is(Linux.EBUSY) ? second : e, OwnerDiscovery.Conflict.CLAIM);
            }
        }
    }

    private void lock() {
        try {
            fd.flock(Linux.LOCK_EX | Linux.LOCK_NB);
        } catch (NativeCallException e) {
            throw errors.of(e, OwnerDiscovery.Conflict.FLOCK);
        }
        try {
            fd.setRecordLock(fd.writable() ? Linux.F_WRLCK : Linux.F_RDLCK);
        } catch (NativeCallException e) {
            if (e.is(Linux.EAGAIN, Linux.EACCES)) {
                throw errors.locked(e, OwnerDiscovery.Conflict.RECORD_LOCK); // POSIX allows either errno
            }
            throw errors.of(e, OwnerDiscovery.Conflict.RECORD_LOCK);
        }
    }

    private void preventRemoval(int timeoutMillis) {
        SgIoResult result;
        try {
            result = fd.sgIo("PREVENT ALLOW MEDIUM REMOVAL (prevent)", ScsiCommands.preventAllowMediumRemoval(true),
                    0, timeoutMillis);
            if (!result.ok() && result.senseKey() == 6) {
                // a unit attention (medium changed, reset) is reported once; the command itself was not run
                result = fd.sgIo("PREVENT ALLOW MEDIUM REMOVAL (prevent)",
                        ScsiCommands.preventAllowMediumRemoval(true), 0, timeoutMillis);
            }
        } catch (NativeCallException e) {
            if (e.is(Linux.EPERM, Linux.EACCES)) {
                trayLockProblem = e.getMessage();
                LOG.log(Level.WARNING, "{0}: the tray cannot be locked ({1})", device.node(), e.getMessage());
                return;
            }
            throw errors.of(e, OwnerDiscovery.Conflict.CLAIM);
        }
        if (result.ok()) {
            trayLocked = true;
        } else if (result.timedOut()) {
            throw errors.of(result);
        } else {
            trayLockProblem = result.detail().toString();
            LOG.log(Level.WARNING, "{0}: the drive refused to lock its tray ({1})", device.node(), trayLockProblem);
        }
    }

    /** The held descriptor, for media polling. */
    DeviceFd fd() {
        return fd;
    }

    /** Whether the descriptor is read-only (writing was refused at open). */
    boolean readOnly() {
        return !fd.writable();
    }

    /** Whether PREVENT ALLOW MEDIUM REMOVAL locked the tray. */
    boolean trayLocked() {
        return trayLocked;
    }

    /** Why the tray could not be locked, if it could not. */
    @Nullable String trayLockProblem() {
        return trayLockProblem;
    }

    /**
     * Drops the hold: ALLOW (when the tray was locked), then close. The descriptor is closed whatever happens; the
     * first failure is thrown afterwards (a vanished device: {@code ERROR_DEV_NOT_EXIST}).
     */
    void release(int timeoutMillis) {
        RecorderException failure = null;
        if (trayLocked) {
            try {
                SgIoResult result = fd.sgIo("PREVENT ALLOW MEDIUM REMOVAL (allow)",
                        ScsiCommands.preventAllowMediumRemoval(false), 0, timeoutMillis);
                if (!result.ok()) {
                    LOG.log(Level.WARNING, "{0}: ALLOW MEDIUM REMOVAL failed ({1}); closing unlocks the tray",
                            device.node(), result.detail());
                }
            } catch (NativeCallException e) {
                failure = errors.of(e, OwnerDiscovery.Conflict.CLAIM);
            }
            trayLocked = false;
        }
        try {
            own.close(fd);
        } catch (NativeCallException e) {
            if (failure == null) {
                failure = errors.of(e, OwnerDiscovery.Conflict.CLAIM);
            }
        } finally {
            own.claimed(device.name(), false);
        }
        if (failure != null) {
            throw failure;
        }
    }

    private void closeDescriptor() {
        try {
            own.close(fd);
        } catch (NativeCallException e) {
            LOG.log(Level.DEBUG, "closing {0} after a failed claim: {1}", device.node(), e.getMessage());
        }
    }
}
