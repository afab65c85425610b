package io.discagent.agent.backend.linux;

import io.discagent.agent.backend.linux.jna.DeviceFd;
import io.discagent.agent.backend.linux.jna.Linux;
import io.discagent.agent.backend.linux.jna.NativeCallException;
import io.discagent.agent.backend.linux.jna.Umount;
import io.discagent.agent.backend.linux.jna.SgIoResult;
import io.discagent.agent.spi.BackendRecorder;
import io.discagent.agent.spi.BurnControl;
import io.discagent.agent.spi.BurnPlan;
import io.discagent.api.ClientNames;
import io.discagent.api.MediaInfo;
import io.discagent.api.RecorderId;
import io.discagent.api.error.BurnNotSupportedException;
import io.discagent.api.error.HResult;
import io.discagent.api.error.InvalidClientNameException;
import io.discagent.api.error.InvalidHandleException;
import io.discagent.api.error.LockNotHeldException;
import io.discagent.api.error.RecorderLockedException;
import io.discagent.api.error.RecorderException;
import io.discagent.api.error.RecorderExceptions;
import io.discagent.api.error.VolumeMountedException;
import io.discagent.api.event.MediaChangedEvent.MediaState;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * One recorder of the Linux backend: a block device that this handle can hold exclusively. The handle holds a
 * descriptor only while it holds the device ({@link DeviceClaim}); in between, nothing of the agent keeps the node
 * open, so other programs and the kernel's last-close behaviour are undisturbed.
 *
 * <p>Confined to the recorder's native worker ({@code discagent-native-<id>}): the agent calls every method there.
 */
final class LinuxRecorder implements BackendRecorder {

    private static final System.Logger LOG = System.getLogger(LinuxRecorder.class.getName());

    private final LinuxDevice device;
    private final RecorderId id;
    private final int scsiTimeoutMillis;
    private final OwnDescriptors own;
    private final OwnerDiscovery owners;
    private final LinuxErrors errors;
    private final DriveReports reports;
    private final String burnTool;
    private final Duration burnStopTimeout;
    private final boolean keepClaimOnHandOver;
    private @Nullable DeviceClaim claim;
    private @Nullable String holder;
    private boolean closed;

    /**
     * @param reports where the media state read right after taking a claim goes (the hotplug listener), so that the
     *     agent's polling of the held descriptor has a known state to compare with, and where a tray unlocked by
     *     another process is reported
     * @param keepClaimOnHandOver whether a hand-over keeps the claim (the default) or drops it and takes it again
     */
    LinuxRecorder(LinuxDevice device, int scsiTimeoutMillis, OwnDescriptors own, OwnerDiscovery owners,
            DriveReports reports, String burnTool, Duration burnStopTimeout, boolean keepClaimOnHandOver) {
        this.device = device;
        this.burnTool = burnTool;
        this.burnStopTimeout = burnStopTimeout;
        this.keepClaimOnHandOver = keepClaimOnHandOver;
        this.reports = reports;
        this.id = RecorderId.of(device.name());
        this.scsiTimeoutMillis = scsiTimeoutMillis;
        this.own = own;
        this.owners = owners;
        this.errors = new LinuxErrors(device, owners);
    }

    /**
     * Dismounts when asked ({@code force}) or refuses when mounted, then takes the {@link DeviceClaim}.
     *
     * @throws VolumeMountedException (0x80070016) when a file system is mounted and {@code force} is false
     * @throws io.discagent.api.error.RecorderLockedException when another process holds it (or a forced dismount
     *     was refused because the file system is busy), naming the holder
     */
    @Override
    public void acquireExclusiveAccess(boolean force, String clientName) {
        checkOpen();
        if (!ClientNames.isValid(clientName)) {
            throw new InvalidClientNameException("invalid client name '" + clientName + "'", id);
        }
        if (claim != null) {
            holder = clientName; // this handle holds it already: the agent's count covers the rest
            return;
        }
        requirePresent();
        dismountIfMounted(force);
        DeviceClaim taken = DeviceClaim.take(device, own, errors, scsiTimeoutMillis);
        claim = taken;
        holder = clientName;
        reportMedia(taken);
        GenericNode generic = taken.generic();
        LOG.log(Level.DEBUG, "{0} held for ''{1}'' ({2}{3}{4})", device.node(), clientName,
                taken.readOnly() ? "read-only" : "read-write", generic != null ? ", with " + generic.node()
                        : taken.genericProblem() != null ? ", without its generic node: " + taken.genericProblem() : "",
                device.optical() ? taken.trayLocked() ? ", tray locked" + (taken.lockStateReported() ? " (watched)"
                        : " (re-asserted on each poll)") : ", tray NOT locked: " + taken.trayLockProblem() : "");
    }

    private void reportMedia(DeviceClaim taken) {
        if (!device.optical()) {
            return;
        }
        try {
            MediaState state = MediaProbe.probe(taken.fd(), scsiTimeoutMillis);
            if (state != null) {
                reports.media(device.name(), state);
            }
        } catch (NativeCallException e) {
            LOG.log(Level.DEBUG, "media state of {0} after the claim: {1}", device.node(), e.getMessage());
        }
    }

    private void dismountIfMounted(boolean force) {
        List<MountTable.Mount> mounts = MountTable.on(DeviceScanner.withPartitions(device));
        if (mounts.isEmpty()) {
            return;
        }
        String where = mounts.stream().map(m -> "mounted at " + m.mountPoint()).collect(Collectors.joining(", "));
        if (!force) {
            throw new VolumeMountedException(HResult.HRESULT_FROM_WIN32_ERROR_BAD_COMMAND, "a file system is "
                    + where + " from " + device.node() + "; acquire with force to dismount it", id, where, null,
                    null);
        }
        // Dismount only for a claim that can succeed: another holder would make it fail after the user's file
        // system was gone for nothing.
        String others = owners.blockersBesidesMounts(device);
        if (others != null) {
            throw new RecorderLockedException(device.node() + " is busy: " + others + " (besides the file system "
                    + where + ", which was left mounted)", id, others);
        }
        for (MountTable.Mount mount : mounts) {
            try {
                Umount.umount2(mount.mountPoint(), 0);
                LOG.log(Level.INFO, "dismounted {0} ({1}) from {2} for a forced acquire", mount.mountPoint(),
                        mount.fsType(), device.node());
            } catch (NativeCallException e) {
                if (e.is(Linux.EINVAL, Linux.ENOENT)) {
                    continue; // unmounted meanwhile
                }
                throw errors.of(e, OwnerDiscovery.Conflict.CLAIM); // EBUSY: the file system is in use
            }
        }
    }

    @Override
    public void releaseExclusiveAccess() {
        checkOpen();
        DeviceClaim held = claim;
        if (held == null) {
            throw new LockNotHeldException(HResult.HRESULT_FROM_WIN32_ERROR_INVALID_FUNCTION, "this handle does not "
                    + "hold " + device.node(), id, null, null, null);
        }
        claim = null;
        holder = null;
        held.release(scsiTimeoutMillis);
    }

    /**
     * Passes the drive to the agent's next client without letting go of it: the claim ({@code O_EXCL}, the locks,
     * the tray lock) belongs to the agent's process whichever client it serves, so only the client name this handle
     * reports changes, and no other process can open the drive exclusively in between. Declines (the agent then
     * releases and acquires) without a claim, or with {@code linux.handOver=reacquire}.
     */
    @Override
    public boolean handOverExclusiveAccess(String clientName) {
        checkOpen();
        if (claim == null || !keepClaimOnHandOver) {
            return false;
        }
        if (!ClientNames.isValid(clientName)) {
            throw new InvalidClientNameException("invalid client name '" + clientName + "'", id);
        }
        holder = clientName;
        LOG.log(Level.DEBUG, "{0} handed over to ''{1}''", device.node(), clientName);
        return true;
    }

    /**
     * With {@code linux.handOver=keep} (the default) a hand-over is a change of name only: the claim is the process's
     * whichever client it serves.
     */
    @Override
    public boolean handsOverInPlace() {
        return keepClaimOnHandOver;
    }

    /** The client name while this handle holds the device; otherwise who holds it outside the agent, if anyone. */
    @Override
    public @Nullable String exclusiveAccessOwner() {
        checkOpen();
        if (claim != null) {
            return holder;
        }
        requirePresent();
        return owners.externalOwner(device);
    }

    @Override
    public boolean supportsMediaPolling() {
        return device.optical();
    }

    /**
     * Polls the held descriptor (no descriptor is opened for this): {@code null} while not held. On optical drives
     * each poll also checks the tray lock ({@link #watchTray}) and asks for an eject request (the kernel does not
     * report those while the drive is held).
     *
     * @throws io.discagent.api.error.RecorderRemovedException when the drive is gone ({@code ENODEV})
     */
    @Override
    public @Nullable MediaState pollMedia() {
        checkOpen();
        DeviceClaim held = claim;
        if (held == null || !device.optical()) {
            return null;
        }
        try {
            MediaState state = MediaProbe.probe(held.fd(), scsiTimeoutMillis);
            watchTray(held, state);
            if (MediaProbe.ejectRequested(held.fd(), scsiTimeoutMillis)) {
                LOG.log(Level.INFO, "eject requested on {0}, held for ''{1}'' (its tray is locked)", device.node(),
                        holder);
                reports.ejectRequested(device.name());
            }
            return state;
        } catch (NativeCallException e) {
            if (e.is(Linux.ENODEV, Linux.ENXIO)) {
                LOG.log(Level.INFO, "{0} vanished while held ({1})", device.node(), e.getMessage());
            }
            throw errors.of(e, OwnerDiscovery.Conflict.CLAIM);
        }
    }

    /**
     * On every poll of a held drive: was its tray unlocked (or opened) by another process? Then it is locked again,
     * logged and reported with the processes that have the drive open now (the culprit, if it is still there).
     */
    private void watchTray(DeviceClaim held, @Nullable MediaState state) {
        DeviceClaim.TrayState tray = held.checkTray(scsiTimeoutMillis);
        if (tray == DeviceClaim.TrayState.AS_HELD) {
            return;
        }
        String culprit = owners.drivePeers(device);
        boolean opened = state == MediaState.TRAY_OPEN;
        boolean relocked = tray == DeviceClaim.TrayState.UNLOCKED_RELOCKED;
        LOG.log(Level.WARNING, "the tray of {0}, held for ''{1}'', was {2} by {3}; {4}", device.node(), holder,
                opened ? "opened" : "unlocked", culprit == null ? "a process that is gone (or this agent cannot see)"
                        : culprit, relocked ? "locked again" : "locking it again failed");
        reports.trayUnlocked(device.name(), culprit, opened, relocked);
    }

    /**
     * The medium's details ({@link MediaDetails}): through the held descriptor while this handle holds the drive,
     * else through a short non-exclusive read-only open (closed again at once; nothing of the agent keeps the node).
     */
    @Override
    public MediaInfo media() {
        checkOpen();
        if (!device.optical()) {
            return MediaInfo.unknown(device.node() + " is not an optical drive");
        }
        DeviceClaim held = claim;
        try {
            if (held != null) {
                return MediaDetails.read(held.fd(), scsiTimeoutMillis);
            }
            requirePresent();
            DeviceFd fd = own.open(device.node().toString(), Linux.O_RDONLY | Linux.O_NONBLOCK | Linux.O_CLOEXEC);
            try {
                return MediaDetails.read(fd, scsiTimeoutMillis);
            } finally {
                own.close(fd);
            }
        } catch (NativeCallException e) {
            throw errors.of(e, OwnerDiscovery.Conflict.CLAIM);
        }
    }

    /**
     * Burns through this handle's claim with xorriso in its cooperating mode ({@link XorrisoBurn}); returns once the
     * tool runs.
     *
     * @throws BurnNotSupportedException when xorriso is not installed (naming its Debian package) or the device is
     *     not an optical drive
     */
    @Override
    public void burn(BurnPlan plan, BurnControl control) {
        checkOpen();
        DeviceClaim held = claim;
        if (held == null) {
            throw new LockNotHeldException(HResult.HRESULT_FROM_WIN32_ERROR_INVALID_FUNCTION, "this handle does not "
                    + "hold " + device.node(), id, null, null, null);
        }
        if (!device.optical()) {
            throw new BurnNotSupportedException(HResult.E_IMAPI_DF2DATA_RECORDER_NOT_SUPPORTED, device.node()
                    + " is not an optical drive", id, null, null, null);
        }
        Path tool = LinuxBurnTool.locate(burnTool, id);
        new XorrisoBurn(device, plan, control, tool, burnStopTimeout, () -> {
            DeviceClaim still = claim;
            if (still == held) {
                held.reassertTray(scsiTimeoutMillis);
            }
        }).start();
    }

    /** Reads the disc back through the held descriptor with READ(10), 32 blocks (64 KiB) per command. */
    @Override
    public void readBack(long offset, ByteBuffer dst) {
        checkOpen();
        DeviceClaim held = claim;
        if (held == null) {
            throw new LockNotHeldException(HResult.HRESULT_FROM_WIN32_ERROR_INVALID_FUNCTION, "this handle does not "
                    + "hold " + device.node(), id, null, null, null);
        }
        if (offset % MediaInfo.SECTOR != 0 || dst.remaining() % MediaInfo.SECTOR != 0) {
            throw new io.discagent.api.error.InvalidArgumentException("read back whole 2048-byte sectors", id);
        }
        long lba = offset / MediaInfo.SECTOR;
        try {
            while (dst.hasRemaining()) {
                int blocks = Math.min(32, dst.remaining() / MediaInfo.SECTOR);
                SgIoResult read = held.fd().sgIo("READ(10)", ScsiCommands.read10(lba, blocks),
                        blocks * MediaInfo.SECTOR, scsiTimeoutMillis);
                if (!read.ok() && read.senseKey() == 6) {
                    read = held.fd().sgIo("READ(10)", ScsiCommands.read10(lba, blocks), blocks * MediaInfo.SECTOR,
                            scsiTimeoutMillis);
                }
                if (!read.ok()) {
                    throw errors.of(read);
                }
                if (read.data().length != blocks * MediaInfo.SECTOR) {
                    throw RecorderExceptions.create(HResult.E_IMAPI_RECORDER_INVALID_RESPONSE_FROM_DEVICE, "READ(10)"
                            + " of " + blocks + " blocks at " + lba + " returned " + read.data().length + " bytes",
                            id, null, read.detail(), null);
                }
                dst.put(read.data());
                lba += blocks;
            }
        } catch (NativeCallException e) {
            throw errors.of(e, OwnerDiscovery.Conflict.CLAIM);
        }
    }

    /** Drops a hold still taken (ALLOW, close) and makes the handle unusable. */
    @Override
    public void close() {
        closed = true;
        DeviceClaim held = claim;
        claim = null;
        holder = null;
        if (held != null) {
            try {
                held.release(scsiTimeoutMillis);
            } catch (RecorderException e) {
                LOG.log(Level.DEBUG, "closing the hold on {0}: {1}", device.node(), e.getMessage());
            }
        }
    }

    /** Whether this handle holds the device (tests and diagnostics). */
    boolean isHeld() {
        return claim != null;
    }

    /** The hold, if taken (tests and diagnostics). */
    @Nullable DeviceClaim claim() {
        return claim;
    }

    private void requirePresent() {
        try {
            long rdev = (Long) Files.getAttribute(device.node(), "unix:rdev");
            if (DeviceNumber.fromDevT(rdev).equals(device.number())) {
                return;
            }
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            // gone
        }
        throw errors.removed(device.node() + " (" + device.number() + ") is gone");
    }

    private void checkOpen() {
        if (closed) {
            throw new InvalidHandleException("the handle of " + device.node() + " is closed", id);
        }
    }
}
