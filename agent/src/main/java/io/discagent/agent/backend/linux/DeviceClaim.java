package io.discagent.agent.backend.linux;

import io.discagent.agent.backend.linux.jna.DeviceFd;
import io.discagent.agent.backend.linux.jna.Linux;
import io.discagent.agent.backend.linux.jna.NativeCallException;
import io.discagent.agent.backend.linux.jna.SgIoResult;
import io.discagent.api.error.RecorderException;
import java.lang.System.Logger.Level;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The native exclusive hold on one device, taken in the order of the reference's mapping (linux.md section 7):
 * <ol>
 * <li>{@code open(O_RDWR|O_NONBLOCK|O_EXCL|O_CLOEXEC)} of the block node: the kernel claim, which mount, wodim,
 * libburn and growisofs's last step respect (read-only fallback when writing is refused);</li>
 * <li>{@code flock(LOCK_EX|LOCK_NB)} on the same descriptor: keeps systemd-udevd (and with it {@code cdrom_id}'s
 * eject on the button) and other well-behaved tools away;</li>
 * <li>{@code fcntl(F_SETLK)} over the whole device: libburn's own lock, for interoperability;</li>
 * <li>the drive's SCSI generic node ({@code /dev/sg0}, found in sysfs) opened
 * {@code O_RDWR|O_NONBLOCK|O_EXCL|O_CLOEXEC}, with a POSIX lock on it too: the sg driver then refuses every other
 * open of that node, so tools addressing the drive as {@code dev=/dev/sg0} or {@code dev=0,0,0} cannot reach it;</li>
 * <li>on optical drives, PREVENT ALLOW MEDIUM REMOVAL (prevent) through SG_IO, so the tray stays shut while held,
 * then MODE SENSE page 2Ah to learn whether the drive reports its lock state (for {@link #checkTray}). Never
 * {@code CDROM_LOCKDOOR}, whose lock outlives the process.</li>
 * </ol>
 * Any step that meets another holder fails the claim and closes what was opened: a failed claim holds nothing.
 * Closing the descriptors drops all of it; the kernel does the same when the process dies, even by {@code SIGKILL}
 * (the cdrom layer unlocks the tray at the last close).
 *
 * <p>Never open either node elsewhere in this process while held: closing <em>any</em> descriptor of a process on an
 * inode drops that process's POSIX locks on it.
 *
 * <p>Confined to the recorder's native worker.
 */
final class DeviceClaim {

    /** The outcome of one {@link #checkTray} while held. */
    enum TrayState {
        /** Locked as it should be, or nothing to check (not optical, never locked, the drive cannot tell now). */
        AS_HELD,
        /** Found unlocked (another process sent ALLOW or ejected): locked again. */
        UNLOCKED_RELOCKED,
        /** Found unlocked, and locking it again failed. */
        UNLOCKED_NOT_RELOCKED
    }

    private static final System.Logger LOG = System.getLogger(DeviceClaim.class.getName());
    private static final int CLAIM_FLAGS = Linux.O_NONBLOCK | Linux.O_EXCL | Linux.O_CLOEXEC;

    private final LinuxDevice device;
    private final OwnDescriptors own;
    private final LinuxErrors errors;
    private final DeviceFd fd;
    private @Nullable DeviceFd genericFd;
    private @Nullable GenericNode generic;
    private @Nullable String genericProblem;
    private boolean trayLocked;
    private boolean lockStateReported;
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
     * @throws RecorderException {@code E_IMAPI_RECORDER_LOCKED} (another holder of the block or the generic node,
     *     named when possible), {@code ERROR_DEV_NOT_EXIST}, {@code E_ACCESSDENIED},
     *     {@code E_IMAPI_RECORDER_COMMAND_TIMEOUT}
     */
    static DeviceClaim take(LinuxDevice device, OwnDescriptors own, LinuxErrors errors, int scsiTimeoutMillis) {
        DeviceFd fd = openExclusive(device, own, errors);
        DeviceClaim claim = new DeviceClaim(device, own, errors, fd);
        try {
            claim.lock();
            claim.claimGeneric(device.generic());
            if (device.optical()) {
                claim.preventRemoval(scsiTimeoutMillis);
                claim.learnWhetherTheLockStateIsReported(scsiTimeoutMillis);
            }
            own.claimed(device.name(), true);
            return claim;
        } catch (RuntimeException e) {
            claim.closeDescriptors();
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

    /**
     * Claims the SCSI generic sibling: {@code O_EXCL} (the sg driver insists on {@code O_RDWR} for it) and a POSIX
     * write lock. {@code EBUSY} (anyone has it open) fails the claim; a node this process may not open for writing
     * is left alone with a warning, as is a vanished one.
     */
    private void claimGeneric(Optional<GenericNode> sibling) {
        if (sibling.isEmpty()) {
            return;
        }
        GenericNode g = sibling.get();
        DeviceFd opened;
        try {
            opened = own.open(g.node().toString(), Linux.O_RDWR | CLAIM_FLAGS);
        } catch (NativeCallException e) {
            if (e.is(Linux.EBUSY)) {
                throw errors.locked(e, OwnerDiscovery.Conflict.GENERIC_CLAIM);
            }
            if (e.is(Linux.EACCES, Linux.EPERM, Linux.EROFS, Linux.ENOENT, Linux.ENODEV, Linux.ENXIO)) {
                genericProblem = e.getMessage();
                LOG.log(Level.WARNING, "{0} is held without its SCSI generic node {1} ({2}): programs that address "
                        + "the drive as {1} can still reach it", device.node(), g.node(), e.getMessage());
                return;
            }
            throw errors.of(e, OwnerDiscovery.Conflict.GENERIC_CLAIM);
        }
        genericFd = opened;
        generic = g;
        try {
            opened.setRecordLock(Linux.F_WRLCK);
        } catch (NativeCallException e) {
            if (e.is(Linux.EAGAIN, Linux.EACCES)) {
                throw errors.locked(e, OwnerDiscovery.Conflict.GENERIC_RECORD_LOCK);
            }
            throw errors.of(e, OwnerDiscovery.Conflict.GENERIC_RECORD_LOCK);
        }
    }

    private void preventRemoval(int timeoutMillis) {
        SgIoResult result;
        try {
            result = prevent(timeoutMillis);
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

    /** PREVENT ALLOW MEDIUM REMOVAL (prevent), once more after a unit attention. */
    private SgIoResult prevent(int timeoutMillis) {
        SgIoResult result = fd.sgIo("PREVENT ALLOW MEDIUM REMOVAL (prevent)",
                ScsiCommands.preventAllowMediumRemoval(true), 0, timeoutMillis);
        if (!result.ok() && result.senseKey() == 6) {
            // a unit attention (medium changed, reset) is reported once; the command itself was not run
            result = fd.sgIo("PREVENT ALLOW MEDIUM REMOVAL (prevent)", ScsiCommands.preventAllowMediumRemoval(true),
                    0, timeoutMillis);
        }
        return result;
    }

    /** Right after PREVENT: does MODE SENSE page 2Ah say locked? Then {@link #checkTray} can trust it. */
    private void learnWhetherTheLockStateIsReported(int timeoutMillis) {
        if (!trayLocked) {
            return;
        }
        Boolean locked;
        try {
            locked = readLockState(timeoutMillis);
        } catch (NativeCallException e) {
            locked = null;
        }
        lockStateReported = Boolean.TRUE.equals(locked);
        if (!lockStateReported) {
            LOG.log(Level.INFO, "{0} does not report its tray lock in MODE SENSE page 2Ah; PREVENT is sent again on "
                    + "every poll instead", device.node());
        }
    }

    /** The lock state bit of MODE SENSE page 2Ah, or {@code null} when the drive did not tell this time. */
    private @Nullable Boolean readLockState(int timeoutMillis) {
        SgIoResult sense = fd.sgIo("MODE SENSE (capabilities page)", ScsiCommands.modeSenseCapabilities(),
                ScsiCommands.MODE_SENSE_LENGTH, timeoutMillis);
        if (!sense.ok() && sense.senseKey() == 6) {
            sense = fd.sgIo("MODE SENSE (capabilities page)", ScsiCommands.modeSenseCapabilities(),
                    ScsiCommands.MODE_SENSE_LENGTH, timeoutMillis);
        }
        return sense.ok() ? ScsiCommands.trayLocked(sense.data()) : null;
    }

    /**
     * Checks, while held, that the tray is still locked: any process that has the block node open (not only ours)
     * can send ALLOW ({@code sg_prevent --allow}, {@code eject -i off}) or force an eject ({@code eject -F}), and the
     * kernel lets it. When the drive reports its lock state, an unlocked tray is locked again and reported; when it
     * does not, PREVENT is sent again quietly.
     *
     * @throws NativeCallException when the device is gone ({@code ENODEV}) or refuses the ioctl
     */
    TrayState checkTray(int timeoutMillis) {
        if (!device.optical() || !trayLocked) {
            return TrayState.AS_HELD;
        }
        if (!lockStateReported) {
            prevent(timeoutMillis);
            return TrayState.AS_HELD;
        }
        Boolean locked = readLockState(timeoutMillis);
        if (locked == null || locked) {
            return TrayState.AS_HELD;
        }
        SgIoResult again = prevent(timeoutMillis);
        if (again.ok()) {
            return TrayState.UNLOCKED_RELOCKED;
        }
        LOG.log(Level.WARNING, "{0}: locking the tray again failed ({1})", device.node(), again.detail());
        return TrayState.UNLOCKED_NOT_RELOCKED;
    }

    /**
     * Locks the tray again, quietly, after a tool that ran through the claim (a burn) may have sent its own
     * PREVENT/ALLOW: the next poll would otherwise report the agent's own child as the process that unlocked it.
     */
    void reassertTray(int timeoutMillis) {
        if (!device.optical() || !trayLocked) {
            return;
        }
        try {
            SgIoResult result = prevent(timeoutMillis);
            if (!result.ok()) {
                LOG.log(Level.DEBUG, "{0}: locking the tray again after a burn failed ({1})", device.node(),
                        result.detail());
            }
        } catch (NativeCallException e) {
            LOG.log(Level.DEBUG, "{0}: locking the tray again after a burn failed ({1})", device.node(),
                    e.getMessage());
        }
    }

    /** The held descriptor of the block node, for media polling. */
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

    /** Whether the drive reports its tray lock state, so that {@link #checkTray} can see another process unlock it. */
    boolean lockStateReported() {
        return lockStateReported;
    }

    /** Why the tray could not be locked, if it could not. */
    @Nullable String trayLockProblem() {
        return trayLockProblem;
    }

    /** The SCSI generic node held with the block node, if any. */
    @Nullable GenericNode generic() {
        return generic;
    }

    /** Why the drive's SCSI generic node is not held although it has one, if so. */
    @Nullable String genericProblem() {
        return genericProblem;
    }

    /**
     * Drops the hold: ALLOW (when the tray was locked), then close both descriptors. They are closed whatever
     * happens; the first failure is thrown afterwards (a vanished device: {@code ERROR_DEV_NOT_EXIST}).
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
            for (DeviceFd held : descriptors()) {
                try {
                    own.close(held);
                } catch (NativeCallException e) {
                    if (failure == null) {
                        failure = errors.of(e, OwnerDiscovery.Conflict.CLAIM);
                    }
                }
            }
        } finally {
            own.claimed(device.name(), false);
        }
        if (failure != null) {
            throw failure;
        }
    }

    private DeviceFd[] descriptors() {
        DeviceFd g = genericFd;
        return g == null ? new DeviceFd[] {fd} : new DeviceFd[] {fd, g};
    }

    private void closeDescriptors() {
        for (DeviceFd held : descriptors()) {
            try {
                own.close(held);
            } catch (NativeCallException e) {
                LOG.log(Level.DEBUG, "closing {0} after a failed claim: {1}", held.path(), e.getMessage());
            }
        }
    }
}
